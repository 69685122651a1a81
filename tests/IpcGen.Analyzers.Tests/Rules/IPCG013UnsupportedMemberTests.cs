using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG013UnsupportedMemberTests
{
    [Fact]
    public Task PropertiesIndexersEventsAndStaticAbstractMembersAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ISettings
        {
            string {|IPCG013:Name|} { get; set; }
            int {|IPCG013:this|}[int index] { get; }
            event EventHandler {|IPCG013:Changed|};
            static abstract ISettings {|IPCG013:Create|}();
        }
        """);

    [Fact]
    public Task InheritedPropertyIsReportedWhereItIsDeclared() => ContractVerifier.VerifyAnalyzerAsync("""
        public interface INamed { string {|IPCG013:Name|} { get; } }

        [IpcService]
        public partial interface ISettings : INamed { void Save(); }
        """);

    [Fact]
    public Task MethodsStaticHelpersAndDefaultImplementationsAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ISettings
        {
            string GetName();
            void SetName(string name);
            static string Normalize(string name) => name.Trim();
            string Describe() => GetName();
        }
        """);
}
