using System.Runtime.InteropServices;
using IpcGen.Tests.Contracts;
using IpcGen.Transports;

namespace IpcGen.Tests.SharedMemory;

public sealed class SharedRegionTests
{
    [Fact]
    public void Opened_region_sees_what_the_creator_wrote()
    {
        using var created = SharedRegion<SharedTestCounters>.Create(UniqueName());
        using var opened = SharedRegion<SharedTestCounters>.Open(created.Name);

        Volatile.Write(ref created.Value.AtomicTotal, 42);

        Assert.Equal(42, Volatile.Read(ref opened.Value.AtomicTotal));
        Assert.True(created.IsCreator);
        Assert.False(opened.IsCreator);
    }

    [Fact]
    public void Array_region_maps_every_element_and_checks_the_index()
    {
        using var created = SharedRegion<long>.Create(UniqueName(), length: 1000);
        using var opened = SharedRegion<long>.Open(created.Name);

        created[999] = 7;

        Assert.Equal(1000, opened.Length);
        Assert.Equal(7, opened[999]);
        Assert.Throws<ArgumentOutOfRangeException>(() => opened[1000]);
    }

    [Fact]
    public void New_region_is_zeroed()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(UniqueName());

        Assert.Equal(default(SharedTestCounters).Total, region.Value.Total);
        Assert.False(region.Value.Gate.IsLocked);
    }

    [Fact]
    public void Opening_with_another_layout_fails_and_names_both_layouts()
    {
        using var created = SharedRegion<SharedTestCounters>.Create(UniqueName());

        var error = Assert.Throws<SharedRegionLayoutException>(() => SharedRegion<SharedTestCountersV2>.Open(created.Name));

        Assert.Contains("another layout", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SharedTestCountersV2), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_with_a_type_of_another_size_fails()
    {
        using var created = SharedRegion<int>.Create(UniqueName());

        Assert.Throws<SharedRegionLayoutException>(() => SharedRegion<long>.Open(created.Name));
    }

    [Fact]
    public void Structs_that_differ_only_in_field_order_have_different_layout_hashes()
    {
        Assert.NotEqual(SharedLayout<SharedTestCounters>.Hash, SharedLayout<SharedTestCountersV2>.Hash);
        Assert.Equal(SharedLayout<SharedTestCounters>.Hash, SharedLayout<SharedTestCounters>.Hash);
    }

    [Fact]
    public void Opening_a_file_that_is_not_a_region_fails_clearly()
    {
        string name = UniqueName();
        string path = Path.Combine(RuntimeDirectory.Ensure(), name + ".region");
        var bytes = new byte[256];
        bytes[40] = 1; // "ready", so the open reads the magic instead of waiting for a creator
        File.WriteAllBytes(path, bytes);
        try
        {
            Assert.Throws<SharedRegionLayoutException>(() => SharedRegion<long>.Open(name));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Opening_a_missing_region_fails_with_FileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SharedRegion<long>.Open(UniqueName()));
    }

    [Fact]
    public void Region_file_is_private_to_the_user()
    {
        using var region = SharedRegion<long>.Create(UniqueName());

        UnixFileMode mode = File.GetUnixFileMode(region.Path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.StartsWith(RuntimeDirectory.Path, region.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_a_live_region_twice_fails()
    {
        using var first = SharedRegion<long>.Create(UniqueName());

        Assert.Throws<IpcEndpointInUseException>(() => SharedRegion<long>.Create(first.Name));
    }

    [Fact]
    public void Creator_removes_the_file_when_disposed_and_openers_do_not()
    {
        var created = SharedRegion<long>.Create(UniqueName());
        var opened = SharedRegion<long>.Open(created.Name);

        opened.Dispose();
        Assert.True(File.Exists(created.Path));
        created.Dispose();

        Assert.False(File.Exists(created.Path));
    }

    [Fact]
    public void A_file_left_by_a_crashed_creator_is_replaced()
    {
        string name = UniqueName();
        string path = Path.Combine(RuntimeDirectory.Ensure(), name + ".region");
        File.WriteAllBytes(path, new byte[16]); // nobody holds it: what a creator killed mid-way leaves

        using var region = SharedRegion<long>.Create(name);

        Assert.Equal(0, region.Value);
    }

    [Fact]
    public void Access_after_dispose_throws()
    {
        var region = SharedRegion<long>.Create(UniqueName());
        region.Dispose();

        Assert.Throws<ObjectDisposedException>(() => region.Value);
        Assert.Throws<ObjectDisposedException>(() => region.Lock());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Names_must_be_plain(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => SharedRegion<long>.Create(name));
    }

    [Fact]
    public void Header_is_128_bytes_with_the_lock_at_offset_44()
    {
        Assert.Equal(128, Marshal.SizeOf<SharedRegionHeader>());
        Assert.Equal(44, (int)Marshal.OffsetOf<SharedRegionHeader>(nameof(SharedRegionHeader.Lock)));
        Assert.Equal(4, Marshal.SizeOf<SharedMutex>());
    }

    internal static string UniqueName() => $"sm-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
}
