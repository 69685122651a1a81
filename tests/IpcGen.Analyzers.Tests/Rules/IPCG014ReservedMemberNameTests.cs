using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG014ReservedMemberNameTests
{
    [Fact]
    public Task MethodsNamedLikeTheGeneratedEntryPointsAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IDevice
        {
            void {|IPCG014:Connect|}(string address);
            Task {|IPCG014:ConnectAsync|}();
            void {|IPCG014:Serve|}();
            int {|IPCG014:IpcProxy|}();
        }
        """);

    [Fact]
    public Task OtherNamesAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IDevice
        {
            void Open(string address);
            Task ConnectToAsync(string address);
            void Dispose(bool disposing);
        }
        """);
}
