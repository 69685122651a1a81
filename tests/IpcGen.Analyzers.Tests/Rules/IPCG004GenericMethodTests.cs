using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG004GenericMethodTests
{
    [Fact]
    public Task GenericMethodIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IStore
        {
            T {|IPCG004:Get|}<T>(string key);
        }
        """);

    [Fact]
    public Task MethodUsingConstructedGenericTypesIsNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IStore
        {
            List<string> Get(Dictionary<string, int> keys);
        }
        """);
}
