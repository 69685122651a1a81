using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG016SharedRegionPlacementTests
{
    [Fact]
    public Task RegionsReturnedOrNestedAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IBuffers
        {
            {|IPCG016:SharedRegion<long>|} Allocate(int length);
            {|IPCG016:Task<SharedRegion<long>>|} AllocateAsync(int length);
            void FillAll({|IPCG016:SharedRegion<long>[]|} buffers);
            void FillList({|IPCG016:List<SharedRegion<int>>|} buffers);
        }
        """);

    [Fact]
    public Task RegionParametersAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IBuffers
        {
            void Fill(SharedRegion<long> buffer, int count);
            Task<long> SumAsync(SharedRegion<long> first, SharedRegion<int> second, CancellationToken cancellationToken = default);
            string Name();
        }
        """);
}
