using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG012DuplicateMethodIdTests
{
    [Fact]
    public Task EqualExplicitIdsAreReportedOnBothMethods() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IMath
        {
            [IpcMethod(Id = 7)] int {|IPCG012:Add|}(int a, int b);
            [IpcMethod(Id = 7)] int {|IPCG012:Subtract|}(int a, int b);
        }
        """);

    [Fact]
    public Task ExplicitIdEqualToAnotherMethodsHashIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IMath
        {
            // 0xE3EB3AAF is the FNV-1a hash of "Add(int,int)".
            int {|IPCG012:Add|}(int a, int b);
            [IpcMethod(Id = unchecked((int)0xE3EB3AAF))] int {|IPCG012:Subtract|}(int a, int b);
        }
        """);

    [Fact]
    public Task SameSignatureFromTwoBaseInterfacesIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public interface IA { void {|IPCG012:Reset|}(); }
        public interface IB { void {|IPCG012:Reset|}(); }

        [IpcService]
        public partial interface IBoth : IA, IB { }
        """);

    [Fact]
    public Task OverloadsAndDistinctIdsAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IMath
        {
            int Add(int a, int b);
            long Add(long a, long b);
            [IpcMethod(Id = 1)] double Add(double a, double b);
            [IpcMethod(Id = 2)] int Subtract(int a, int b);
        }
        """);
}
