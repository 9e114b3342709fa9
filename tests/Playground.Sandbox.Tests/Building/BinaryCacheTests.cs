using Microsoft.Extensions.Options;
using Playground.Sandbox.Building;

namespace Playground.Sandbox.Tests.Building;

public sealed class BinaryCacheTests
{
    private static readonly Dictionary<string, string> Hello = new() { ["prog.go"] = "package main\nfunc main() {}\n" };

    private static BinaryCache Cache(long bytes) => new(Options.Create(new SandboxOptions { BinaryCacheBytes = bytes }));

    [Fact]
    public void Key_SameInputs_Same_AnyDifference_Different()
    {
        var key = BinaryCache.Key(Hello, "builder:1", [], "Live");

        Assert.Equal(key, BinaryCache.Key(new Dictionary<string, string>(Hello), "builder:1", [], "Live"));
        Assert.NotEqual(key, BinaryCache.Key(Hello, "builder:2", [], "Live"));
        Assert.NotEqual(key, BinaryCache.Key(Hello, "builder:1", [], "Playback"));
        Assert.NotEqual(key, BinaryCache.Key(Hello, "builder:1", ["faketime"], "Live"));
        Assert.NotEqual(key, BinaryCache.Key(new Dictionary<string, string> { ["prog.go"] = "package main\nfunc main() {} \n" }, "builder:1", [], "Live"));
        // File boundaries are part of the key: moving text between files changes it.
        Assert.NotEqual(
            BinaryCache.Key(new Dictionary<string, string> { ["a.go"] = "xy", ["b.go"] = "z" }, "b", [], "Live"),
            BinaryCache.Key(new Dictionary<string, string> { ["a.go"] = "x", ["b.go"] = "yz" }, "b", [], "Live"));
    }

    [Fact]
    public void Add_OverCapacity_EvictsLeastRecentlyUsed()
    {
        var cache = Cache(bytes: 300);
        cache.Add("a", new byte[100]);
        cache.Add("b", new byte[100]);
        cache.Add("c", new byte[100]);
        Assert.True(cache.TryGet("a", out _)); // a is now the most recently used

        cache.Add("d", new byte[100]);

        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.True(cache.TryGet("d", out var d));
        Assert.Equal(100, d.Length);
        Assert.Equal(300, cache.Bytes);
    }

    [Fact]
    public void Add_LargerThanCapacity_NotStored()
    {
        var cache = Cache(bytes: 50);

        cache.Add("big", new byte[51]);

        Assert.False(cache.TryGet("big", out _));
        Assert.Equal(0, cache.Bytes);
    }
}
