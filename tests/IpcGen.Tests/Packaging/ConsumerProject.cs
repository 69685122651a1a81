namespace IpcGen.Tests.Packaging;

/// <summary>
/// A brand-new console project that knows IpcGen only as a package: its nuget.config adds the folder
/// feed to the machine's sources, it references nothing but the package, and it builds with nullable
/// enabled and warnings as errors. <c>serve &lt;endpoint&gt;</c> serves the contract until stdin closes;
/// <c>call &lt;endpoint&gt;</c> calls every method, prints one line per check and exits 0 when all pass.
/// </summary>
internal static class ConsumerProject
{
    public const string Name = "Consumer";
    public const string AllPassedLine = "ALL CHECKS PASSED";

    public static void Write(string directory, string feed, string packageVersion)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), NuGetConfig(feed));
        File.WriteAllText(Path.Combine(directory, Name + ".csproj"), Project(packageVersion));
        File.WriteAllText(Path.Combine(directory, "Contract.cs"), Contract);
        File.WriteAllText(Path.Combine(directory, "Showcase.cs"), Showcase);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), Program);
    }

    // No <clear/>: the folder feed is added to the sources the machine already has (for MessagePack etc.).
    private static string NuGetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="ipcgen-under-test" value="{feed}" />
          </packageSources>
        </configuration>
        """;

    // The exact version [v]: no other source can satisfy the reference with some other IpcGen.
    // NU1603 stays a warning: the package registry on these machines lacks the exact version of one of
    // MessagePack's dependencies (Microsoft.NET.StringTools 17.6.3) and NuGet takes the next one up.
    private static string Project(string packageVersion) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <WarningsNotAsErrors>NU1603</WarningsNotAsErrors>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="IpcGen" Version="[{packageVersion}]" />
          </ItemGroup>
        </Project>
        """;

    private const string Contract = """
        using IpcGen;
        using MessagePack;

        namespace Consumer;

        public enum Color { Red = 1, Green = 2, Blue = 3 }

        /// <summary>An unmanaged struct: travels as its raw bytes.</summary>
        public record struct Point(double X, double Y);

        /// <summary>A MessagePack object: travels as a MessagePack array.</summary>
        [MessagePackObject]
        public sealed class Order
        {
            [Key(0)] public int Id { get; set; }
            [Key(1)] public string Customer { get; set; } = "";
            [Key(2)] public List<string> Items { get; set; } = new();
            [Key(3)] public Color Color { get; set; }
            [Key(4)] public string? Note { get; set; }
        }

        /// <summary>One method per signature family the generator supports.</summary>
        [IpcService]
        public partial interface IShowcase
        {
            int Add(int a, int b);
            Point Midpoint(Point a, Point b);
            ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken = default);
            Task<Order> GetOrderAsync(int id);
            Task<Order[]> ListOrdersAsync(string customer, CancellationToken cancellationToken);
            ValueTask PingAsync();
            Task ResetAsync();
            string Concat(string? first, string second);
            int[] Reverse(int[] values);
            List<string> Sort(List<string> values);
            Dictionary<string, int> CountWords(string text);
            Color Next(Color color);
            int? Half(int? value);
            string? Find(Dictionary<string, string> map, string key);
            string Describe(int value);
            string Describe(string value);
            string Describe(int value, string unit);
            [OneWay] void Record(string note);
            [OneWay] ValueTask RecordAsync(string note);
            int RecordedCount();
            void Fail(string message);
            Task WaitAsync(int milliseconds, CancellationToken cancellationToken);
        }
        """;

    private const string Showcase = """
        namespace Consumer;

        public sealed class Showcase : IShowcase
        {
            private int _recorded;

            public int Add(int a, int b) => a + b;
            public Point Midpoint(Point a, Point b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);
            public ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken)
                => b == 0 ? throw new DivideByZeroException("b is zero") : ValueTask.FromResult(a / b);
            public Task<Order> GetOrderAsync(int id)
                => Task.FromResult(new Order { Id = id, Customer = "ada", Items = ["tea", "cake"], Color = Color.Green });
            public Task<Order[]> ListOrdersAsync(string customer, CancellationToken cancellationToken)
                => Task.FromResult(Enumerable.Range(1, 3).Select(i => new Order { Id = i, Customer = customer, Note = i == 2 ? "gift" : null }).ToArray());
            public ValueTask PingAsync() => default;
            public Task ResetAsync()
            {
                Interlocked.Exchange(ref _recorded, 0);
                return Task.CompletedTask;
            }
            public string Concat(string? first, string second) => (first ?? "<null>") + second;
            public int[] Reverse(int[] values) => values.Reverse().ToArray();
            public List<string> Sort(List<string> values) => values.Order(StringComparer.Ordinal).ToList();
            public Dictionary<string, int> CountWords(string text)
                => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
            public Color Next(Color color) => color == Color.Blue ? Color.Red : color + 1;
            public int? Half(int? value) => value / 2;
            public string? Find(Dictionary<string, string> map, string key) => map.TryGetValue(key, out string? value) ? value : null;
            public string Describe(int value) => $"int {value}";
            public string Describe(string value) => $"string {value}";
            public string Describe(int value, string unit) => $"{value} {unit}";
            public void Record(string note) => Interlocked.Increment(ref _recorded);
            public ValueTask RecordAsync(string note)
            {
                Interlocked.Increment(ref _recorded);
                return default;
            }
            public int RecordedCount() => Volatile.Read(ref _recorded);
            public void Fail(string message) => throw new InvalidOperationException(message);
            public Task WaitAsync(int milliseconds, CancellationToken cancellationToken) => Task.Delay(milliseconds, cancellationToken);
        }
        """;

    private const string Program = """
        using System.Diagnostics;
        using Consumer;
        using IpcGen;

        switch (args)
        {
            case ["serve", string endpoint]:
                using (IpcServer server = IShowcase.Serve(new Showcase(), new IpcServerOptions { Endpoint = endpoint }))
                {
                    Console.WriteLine("ready");
                    Console.In.ReadToEnd(); // serve until stdin closes
                }
                return 0;
            case ["call", string endpoint]:
                return await CallAsync(endpoint);
            default:
                Console.Error.WriteLine("usage: Consumer serve <endpoint> | call <endpoint>");
                return 2;
        }

        static async Task<int> CallAsync(string endpoint)
        {
            int failures = 0;
            void Check<T>(string name, T actual, T expected)
            {
                bool ok = EqualityComparer<T>.Default.Equals(actual, expected);
                Console.WriteLine($"{(ok ? "ok" : "FAIL")} {name}: {actual}{(ok ? "" : $" (expected {expected})")}");
                failures += ok ? 0 : 1;
            }

            await using IShowcase.IpcProxy client = await IShowcase.ConnectAsync(new IpcClientOptions { Endpoint = endpoint });
            Check("Add", client.Add(2, 3), 5);
            Check("Midpoint", client.Midpoint(new Point(0, 0), new Point(2, 4)), new Point(1, 2));
            Check("DivideAsync", await client.DivideAsync(1, 4), 0.25);
            Order order = await client.GetOrderAsync(7);
            Check("GetOrderAsync", $"{order.Id} {order.Customer} {string.Join(",", order.Items)} {order.Color} {order.Note ?? "null"}", "7 ada tea,cake Green null");
            Order[] orders = await client.ListOrdersAsync("bob", CancellationToken.None);
            Check("ListOrdersAsync", string.Join(";", orders.Select(o => $"{o.Id}:{o.Customer}:{o.Note}")), "1:bob:;2:bob:gift;3:bob:");
            await client.PingAsync();
            await client.ResetAsync();
            Check("Concat", client.Concat(null, "x"), "<null>x");
            Check("Reverse", string.Join(",", client.Reverse([1, 2, 3])), "3,2,1");
            Check("Sort", string.Join(",", client.Sort(["b", "c", "a"])), "a,b,c");
            Dictionary<string, int> words = client.CountWords("a b a");
            Check("CountWords", $"a={words["a"]} b={words["b"]} n={words.Count}", "a=2 b=1 n=2");
            Check("Next", client.Next(Color.Blue), Color.Red);
            Check("Half", client.Half(9), 4);
            Check("Half(null)", client.Half(null), null);
            Check("Find", client.Find(new() { ["k"] = "v" }, "k"), "v");
            Check("Find(missing)", client.Find(new() { ["k"] = "v" }, "x"), null);
            Check("Describe(int)", client.Describe(4), "int 4");
            Check("Describe(string)", client.Describe("s"), "string s");
            Check("Describe(int, string)", client.Describe(4, "kg"), "4 kg");

            client.Record("one");
            client.Record("two");
            await client.RecordAsync("three");
            Check("Record, RecordAsync (one-way) then RecordedCount", client.RecordedCount(), 3);

            try
            {
                client.Fail("boom");
                Check("Fail", "no exception", "IpcRemoteException");
            }
            catch (IpcRemoteException ex)
            {
                Check("Fail", $"{ex.RemoteTypeName}: {ex.RemoteMessage}", "System.InvalidOperationException: boom");
            }
            try
            {
                await client.DivideAsync(1, 0);
                Check("DivideAsync(1, 0)", "no exception", "IpcRemoteException");
            }
            catch (IpcRemoteException ex)
            {
                Check("DivideAsync(1, 0)", ex.RemoteTypeName, "System.DivideByZeroException");
            }

            using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    await client.WaitAsync(30_000, cancel.Token);
                    Check("WaitAsync cancelled", "completed", "OperationCanceledException");
                }
                catch (OperationCanceledException)
                {
                    Check("WaitAsync cancelled within 10 s", watch.Elapsed < TimeSpan.FromSeconds(10), true);
                }
            }
            Check("Add after cancellation", client.Add(20, 22), 42);

            Console.WriteLine(failures == 0 ? "ALL CHECKS PASSED" : $"{failures} CHECK(S) FAILED");
            return failures == 0 ? 0 : 1;
        }
        """;
}
