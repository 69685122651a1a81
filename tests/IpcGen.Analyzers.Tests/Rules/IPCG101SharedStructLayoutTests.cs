using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG101SharedStructLayoutTests
{
    private static Task Verify(string source) => RuleVerifier<SharedStructDeclarationAnalyzer>.VerifyAnalyzerAsync(source);

    private static Task VerifyFix(string source, string fixedSource, bool withUsings = true)
        => RuleVerifier<SharedStructDeclarationAnalyzer>.VerifyCodeFixAsync<StructLayoutCodeFixProvider>(source, fixedSource, withUsings: withUsings);

    [Fact]
    public Task StructWithoutLayoutIsReported() => Verify("""
        [SharedStruct]
        public struct {|IPCG101:Counters|}
        {
            public long Count;
        }
        """);

    [Fact]
    public Task AutoLayoutIsReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Auto)]
        public struct {|IPCG101:Counters|}
        {
            public long Count;
        }
        """);

    [Fact]
    public Task SequentialAndExplicitLayoutsAreNotReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 8)]
        public struct A { public long Count; }

        [SharedStruct]
        [StructLayout(LayoutKind.Explicit)]
        public struct B { [FieldOffset(0)] public long Count; }

        public struct NotShared { public long Count; }
        """);

    [Fact]
    public Task FixAddsSequentialLayoutBelowTheOtherAttributes() => VerifyFix(
        """
        namespace Demo
        {
            [SharedStruct]
            public struct {|IPCG101:Counters|}
            {
                public long Count;
            }
        }
        """,
        """
        namespace Demo
        {
            [SharedStruct]
            [StructLayout(LayoutKind.Sequential)]
            public struct Counters
            {
                public long Count;
            }
        }
        """);

    [Fact]
    public Task FixAddsTheUsingDirectiveWhenItIsMissing() => VerifyFix(
        """
        using IpcGen;

        [SharedStruct]
        public struct {|IPCG101:Counters|}
        {
            public long Count;
        }
        """,
        """
        using System.Runtime.InteropServices;
        using IpcGen;

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Counters
        {
            public long Count;
        }
        """,
        withUsings: false);

    [Fact]
    public Task FixTurnsAutoIntoSequential() => VerifyFix(
        """
        [SharedStruct]
        [StructLayout(LayoutKind.Auto, Pack = 8)]
        public struct {|IPCG101:Counters|}
        {
            public long Count;
        }
        """,
        """
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 8)]
        public struct Counters
        {
            public long Count;
        }
        """);

    [Fact]
    public Task FixAllDeclaresEveryLayout() => VerifyFix(
        """
        [SharedStruct]
        public struct {|IPCG101:First|} { public long A; }

        [SharedStruct]
        [StructLayout(LayoutKind.Auto)]
        public struct {|IPCG101:Second|} { public long B; }
        """,
        """
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct First { public long A; }

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Second { public long B; }
        """);
}
