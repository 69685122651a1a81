using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG001InterfaceMustBePartialTests
{
    [Fact]
    public Task NonPartialContractIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public interface {|IPCG001:ICalculator|}
        {
            int Add(int a, int b);
        }
        """);

    [Fact]
    public Task PartialContractIsNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ICalculator
        {
            int Add(int a, int b);
        }
        """);

    [Fact]
    public Task InterfaceWithoutIpcServiceIsNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public interface IPlain
        {
            int Add(int a, int b);
        }
        """);

    [Fact]
    public Task CodeFixAddsPartialAfterTheOtherModifiers() => ContractVerifier.VerifyCodeFixAsync(
        """
        [IpcService]
        public interface {|IPCG001:ICalculator|}
        {
            int Add(int a, int b);
        }
        """,
        """
        [IpcService]
        public partial interface ICalculator
        {
            int Add(int a, int b);
        }
        """);

    [Fact]
    public Task CodeFixKeepsTriviaWhenThereAreNoModifiers() => ContractVerifier.VerifyCodeFixAsync(
        """
        [IpcService]
        // the contract
        interface {|IPCG001:ICalculator|}
        {
        }
        """,
        """
        [IpcService]
        // the contract
        partial interface ICalculator
        {
        }
        """);

    [Fact]
    public Task FixAllMakesEveryContractPartial() => ContractVerifier.VerifyCodeFixAsync(
        """
        [IpcService]
        public interface {|IPCG001:IFirst|} { void A(); }

        [IpcService]
        internal interface {|IPCG001:ISecond|} { void B(); }
        """,
        """
        [IpcService]
        public partial interface IFirst { void A(); }

        [IpcService]
        internal partial interface ISecond { void B(); }
        """);
}
