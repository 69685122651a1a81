using System.Runtime.CompilerServices;
using IpcGen.Generators.Tests.TestHelpers;
using Microsoft.CodeAnalysis;
using Xunit;

namespace IpcGen.Generators.Tests;

/// <summary>
/// One snapshot per family of contract signatures. Each test also compiles the input with the generated
/// code against the real runtime, with nullable on and warnings counted, and expects nothing reported.
/// </summary>
public sealed class IpcServiceGeneratorSnapshotTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcGen;
        using MessagePack;

        """;

    [Fact]
    public void SyncUnmanaged() => Verify("""
        namespace Demo;

        public enum Mode { Fast = 1, Exact = 2, Negative = -3 }

        public struct Point { public int X; public int Y; }

        [IpcService]
        public partial interface IGeometry
        {
            int Add(int a, int b);
            void Reset();
            Point Move(Point point, long dx = -1, float scale = 1.5f, double ratio = 0.25, bool wrap = true, char tag = 'x', decimal price = 1.5m, uint mask = 7u, ulong big = 9ul);
            Mode Choose(Mode mode = Mode.Exact, Mode other = Mode.Negative);
            int? Maybe(int? value = null, int? fallback = 3);
            DateTime At(Guid id, TimeSpan offset = default);
        }
        """);

    [Fact]
    public void AsyncTaskAndValueTask() => Verify("""
        namespace Demo;

        [IpcService]
        public partial interface IJobs
        {
            Task StartAsync(int id);
            Task<int> CountAsync();
            ValueTask StopAsync(int id);
            ValueTask<string> NameAsync(int id);
            Task<string?> FindAsync(string prefix);
            ValueTask<long?> SizeAsync(string? path);
        }
        """);

    [Fact]
    public void CancellationTokens() => Verify("""
        namespace Demo;

        [IpcService]
        public partial interface ICalculator
        {
            int Add(int a, int b, CancellationToken cancellationToken);
            ValueTask<double> DivideAsync(double a, double b, CancellationToken ct = default);
            Task WaitAsync(CancellationToken cancellationToken);
            void Flush(CancellationToken cancellationToken = default);
        }

        public sealed class Usage
        {
            // Default values are copied onto the proxy, so optional arguments work on the proxy type too.
            public ValueTask<double> Divide(ICalculator.IpcProxy calculator) => calculator.DivideAsync(1, 2);
        }
        """);

    [Fact]
    public void OneWay() => Verify("""
        namespace Demo;

        [IpcService]
        public partial interface ILog
        {
            [OneWay] void Write(string line);
            [OneWay] Task WriteAsync(string line);
            [OneWay] ValueTask FlushAsync(CancellationToken cancellationToken = default);
            [OneWay] void Level(int level, CancellationToken cancellationToken);
        }
        """);

    [Fact]
    public void SharedRegionArguments() => Verify("""
        namespace Demo;

        public struct Sample { public long Time; public double Value; }

        [IpcService]
        public partial interface ISampler
        {
            int Fill(SharedRegion<Sample> samples, int count);
            Task<long> SumAsync(SharedRegion<long> values, SharedRegion<long> into, CancellationToken cancellationToken = default);
        }
        """);

    [Fact]
    public void Priorities() => Verify("""
        namespace Demo;

        [IpcService(Transport = IpcTransport.MessageQueue)]
        public partial interface IJobs
        {
            void Bulk(byte[] data);
            [IpcPriority(31)] bool Stop();
            [IpcPriority(7)] Task<int> ProgressAsync(CancellationToken cancellationToken = default);
            [IpcPriority(3), OneWay] void Nudge();
        }
        """);

    [Fact]
    public void OverloadsAndExplicitIds() => Verify("""
        namespace Demo;

        [IpcService]
        public partial interface IMath
        {
            int Add(int a, int b);
            long Add(long a, long b);
            [IpcMethod(Id = 7)] string Add(string a, string b);
            [IpcMethod(Id = 8)] double Add(double a, double b, CancellationToken cancellationToken);
        }
        """);

    [Fact]
    public void MessagePackTypes() => Verify("""
        namespace Demo.Orders;

        public enum Status { Open, Shipped }

        [MessagePackObject]
        public sealed record Order([property: Key(0)] string Id, [property: Key(1)] decimal Total, [property: Key(2)] Status Status);

        [MessagePackObject]
        public sealed class Customer
        {
            [Key(0)] public string Name { get; set; } = "";
            [Key(1)] public List<Order>? Orders { get; set; }
        }

        [IpcService]
        public partial interface IOrders
        {
            Task<Order[]> ListAsync(string customer);
            Order? Find(string id);
            Customer GetCustomer(string name, string region = "eu\n\"west\"");
            List<string?> Names(List<int> ids, string?[] hints);
            Dictionary<string, List<Order>> Group(Dictionary<string, int>? weights);
            ValueTask<Status> StatusAsync(Order order, Status? previous = null);
            int Sum(params int[] values);
            string Join(string separator, params string[] parts);
            byte[] Raw(byte[] data, int[]? offsets = null);
        }
        """);

    [Fact]
    public void GlobalNamespace() => Verify("""
        [IpcService]
        public partial interface IPing
        {
            int Ping(int value);
        }
        """);

    [Fact]
    public void NestedNamespaceAndContainingTypes() => Verify("""
        namespace Company.Product.Services
        {
            public static partial class Outer
            {
                public partial record Middle
                {
                    [IpcService(Name = "custom-name")]
                    public partial interface IInner
                    {
                        int Get(int key);
                    }
                }
            }

            public partial struct Holder
            {
                [IpcService]
                internal partial interface IHeld
                {
                    void Touch();
                }
            }
        }
        """);

    [Fact]
    public void InternalInterface() => Verify("""
        namespace Demo;

        internal sealed record Secret(string Value);

        [IpcService]
        internal partial interface IVault
        {
            Secret Open(string key);
            void Close(Secret secret);
        }
        """);

    [Fact]
    public void Inheritance() => Verify("""
        namespace Demo;

        public interface IHealth
        {
            bool IsHealthy();
            Task<string> DescribeAsync(CancellationToken cancellationToken = default);
        }

        [IpcService]
        public partial interface IBaseService : IHealth
        {
            int Version();
        }

        [IpcService]
        public partial interface IDerivedService : IBaseService, IDisposable
        {
            void Extra(string text);
            string Describe() => "runs locally on the proxy";
        }

        public static class Usage
        {
            // The derived entry points hide the base ones without ambiguity.
            public static IDerivedService.IpcProxy Connect() => IDerivedService.Connect();
            public static IpcServer Serve(IDerivedService service) => IDerivedService.Serve(service);
            public static IBaseService.IpcProxy ConnectBase() => IBaseService.Connect();
        }
        """);

    [Fact]
    public void TransportAndName() => Verify("""
        namespace Demo;

        [IpcService(Transport = IpcTransport.UnixSocket, Name = "demo.transport")]
        public partial interface IKnownTransport
        {
            void Ping();
        }

        [IpcService(Transport = (IpcTransport)42)]
        public partial interface IFutureTransport
        {
            void Ping();
        }
        """);

    [Fact]
    public void NamesThatCollideWithGeneratedCode() => Verify("""
        namespace Demo;

        [IpcService]
        public partial interface IAwkward
        {
            int Echo(int call, int result, int _client, int _service);
            string @class(string @event, string @object);
            string ToString(int format);
            void Dispose(bool disposing);
            int DispatchAsync(int value);
            int Client();
        }
        """);

    [Fact]
    public void NullableObliviousContract() => Verify("""
        #nullable disable
        namespace Demo;

        [IpcService]
        public partial interface ILegacy
        {
            string Echo(string text, string[] more = null);
            Task<List<string>> AllAsync();
        }
        """);

    private static void Verify(string source, [CallerMemberName] string testMethod = "")
    {
        var (output, result) = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(Usings + source));
        Assert.NotEmpty(result.GeneratedSources);
        foreach (GeneratedSourceResult generated in result.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            SnapshotAssert.Matches(generated.SourceText.ToString(), generated.HintName, testMethod: testMethod);
        }

        GeneratorHarness.AssertCompilesCleanly(output);
    }
}
