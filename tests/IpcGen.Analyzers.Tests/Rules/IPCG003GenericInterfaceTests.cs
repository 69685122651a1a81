using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG003GenericInterfaceTests
{
    [Fact]
    public Task GenericContractIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface {|IPCG003:IRepository|}<T>
        {
            T Get(int id);
        }
        """);

    [Fact]
    public Task ContractNestedInGenericTypeIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public partial class Outer<T>
        {
            [IpcService]
            public partial interface {|IPCG003:IContract|} { void M(); }
        }
        """);

    [Fact]
    public Task ContractThatInheritsAClosedGenericInterfaceIsNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public interface IRepository<T> { T Get(int id); }

        [IpcService]
        public partial interface IStrings : IRepository<string> { }
        """);
}
