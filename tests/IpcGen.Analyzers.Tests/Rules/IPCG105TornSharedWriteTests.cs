using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG105TornSharedWriteTests
{
    private const string Quote = """

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Quote
        {
            public SharedMutex Gate;
            public Guid Id;
            public decimal Price;
            public Bid Best;
            public long Sequence;
        }

        public struct Bid { public double Price; public long Size; }
        """;

    private static Task Verify(string source) => RuleVerifier<SharedAccessAnalyzer>.VerifyAnalyzerAsync(source + Quote);

    [Fact]
    public Task WideValuesWrittenOutsideTheLockAreReported() => Verify("""
        public class Writer
        {
            public void Run(SharedRegion<Quote> region, Bid bid)
            {
                {|IPCG105:region.Value.Id = Guid.NewGuid()|};
                {|IPCG105:region.Value.Price = 1.5m|};
                {|IPCG105:region.Value.Best = bid|};
                {|IPCG105:region.Value = default|};
                {|IPCG105:region[0] = new Quote()|};
            }
        }
        """);

    [Fact]
    public Task WideValuesWrittenUnderTheLockAreNotReported() => Verify("""
        public class Writer
        {
            public void Run(SharedRegion<Quote> region, Bid bid)
            {
                using (region.Value.Gate.Lock())
                {
                    region.Value.Best = bid;
                    region.Value.Id = Guid.NewGuid();
                }

                var copy = new Quote { Best = bid };
                copy.Price = 2m;
            }
        }
        """);

    [Fact]
    public Task FixWrapsTheWriteInTheRegionLock() => RuleVerifier<SharedAccessAnalyzer>.VerifyCodeFixAsync<SharedWriteCodeFixProvider>(
        """
        public class Writer
        {
            public void Run(SharedRegion<Quote> region, Bid bid)
            {
                {|IPCG105:region.Value.Best = bid|};
                if (bid.Size > 0)
                    {|IPCG105:region.Value.Price = 2m|};
            }
        }
        """ + Quote,
        """
        public class Writer
        {
            public void Run(SharedRegion<Quote> region, Bid bid)
            {
                using (region.Lock())
                {
                    region.Value.Best = bid;
                }
                if (bid.Size > 0)
                    using (region.Lock())
                    {
                        region.Value.Price = 2m;
                    }
            }
        }
        """ + Quote,
        SharedWriteCodeFixProvider.WrapInLockKey);
}
