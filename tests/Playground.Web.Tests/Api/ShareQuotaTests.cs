using Microsoft.Extensions.Options;
using Playground.Web.Clients;
using Playground.Web.Snippets;

namespace Playground.Web.Tests.Api;

/// <summary>The share quota's hour slides: shares free up one by one as they age out.</summary>
public sealed class ShareQuotaTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Quota_SlidesOverTheHour_RetryAfterIsWhenTheOldestFits()
    {
        var clock = new Clock();
        var quota = new ShareQuota(Options.Create(new SnippetsOptions { SharesPerClientPerHour = 2, ShareBytesPerClientPerHour = 1000 }), clock);

        Assert.True(quota.TryTake("a", 100, out _));
        clock.Now += TimeSpan.FromMinutes(20);
        Assert.True(quota.TryTake("a", 100, out _));
        Assert.False(quota.TryTake("a", 100, out var retry));
        Assert.Equal(TimeSpan.FromMinutes(40), retry);
        Assert.True(quota.TryTake("b", 1000, out _));

        // Bytes: 900 more would fit only once both of a's earlier shares have aged out.
        clock.Now += TimeSpan.FromMinutes(40);
        Assert.False(quota.TryTake("a", 901, out retry));
        Assert.Equal(TimeSpan.FromMinutes(20), retry);
        Assert.True(quota.TryTake("a", 900, out _));
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::1")]
    public void ClientKey_IPv4AsIsIPv6ByItsSlash64(string address, string key) =>
        Assert.Equal(key, ClientAddresses.Key(System.Net.IPAddress.Parse(address)));
}
