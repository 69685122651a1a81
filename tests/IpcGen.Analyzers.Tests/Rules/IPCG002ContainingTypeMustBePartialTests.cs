using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG002ContainingTypeMustBePartialTests
{
    [Fact]
    public Task NonPartialContainingTypesAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public static class {|IPCG002:Outer|}
        {
            public partial class Middle
            {
                public struct {|IPCG002:Inner|}
                {
                    [IpcService]
                    public partial interface IContract { void M(); }
                }
            }
        }
        """);

    [Fact]
    public Task PartialContainingTypesAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public static partial class Outer
        {
            public partial record Middle
            {
                [IpcService]
                public partial interface IContract { void M(); }
            }
        }
        """);

    [Fact]
    public Task CodeFixMakesContainingTypesPartial() => ContractVerifier.VerifyCodeFixAsync(
        """
        public static class {|IPCG002:Outer|}
        {
            public sealed class {|IPCG002:Middle|}
            {
                [IpcService]
                public partial interface IContract { void M(); }
            }
        }
        """,
        """
        public static partial class Outer
        {
            public sealed partial class Middle
            {
                [IpcService]
                public partial interface IContract { void M(); }
            }
        }
        """);
}
