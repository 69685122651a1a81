using System.Text;
using IpcGen.Transports;

namespace IpcGen.Tests.Transports;

public sealed class EndpointPathTests
{
    [Fact]
    public void A_name_resolves_inside_the_runtime_directory()
    {
        string path = EndpointPath.Resolve("Demo.ICalculator", ".sock", createDirectory: false);
        Assert.Equal(Path.Combine(RuntimeDirectory.Path, "Demo.ICalculator.sock"), path);
    }

    [Fact]
    public void Characters_outside_the_safe_set_are_replaced()
    {
        string path = EndpointPath.Resolve("a b+c:ä", ".sock", createDirectory: false);
        Assert.EndsWith("/a_b_c__.sock", path);
    }

    [Fact]
    public void A_relative_path_is_refused()
    {
        Assert.Throws<ArgumentException>(() => EndpointPath.Resolve("dir/name", ".sock", createDirectory: false));
    }

    [Fact]
    public void An_absolute_path_is_used_as_given()
    {
        Assert.Equal("/tmp/x/y.sock", EndpointPath.Resolve("/tmp/x/y.sock", ".sock", createDirectory: false));
    }

    [Fact]
    public void A_long_name_is_shortened_with_a_hash_to_fit_a_socket_path()
    {
        string a = EndpointPath.Resolve(new string('a', 200) + "1", ".sock", createDirectory: false);
        string b = EndpointPath.Resolve(new string('a', 200) + "2", ".sock", createDirectory: false);
        Assert.True(Encoding.UTF8.GetByteCount(a) <= 107);
        Assert.NotEqual(a, b);
        Assert.EndsWith(".sock", a);
    }
}
