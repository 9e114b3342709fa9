using Playground.Outbound;

namespace Playground.Web.Tests.Cli;

/// <summary>Which proxy goplay picks from the environment, the way curl reads the variables.</summary>
public sealed class ProxySettingsTests
{
    private static readonly Uri Http = new("http://play.example.com:8080/");
    private static readonly Uri Https = new("https://play.example.com/");

    private static ProxySettings From(params (string Name, string Value)[] vars)
    {
        var env = vars.ToDictionary(v => v.Name, v => v.Value);
        return ProxySettings.FromEnvironment(name => env.GetValueOrDefault(name));
    }

    [Fact]
    public void SchemeSpecificFirst_ThenAllProxy()
    {
        var proxies = From(("HTTP_PROXY", "http://p1:3128"), ("HTTPS_PROXY", "http://p2:3128"), ("ALL_PROXY", "socks5://p3:1080"));
        Assert.Equal(new Uri("http://p1:3128"), proxies.For(Http));
        Assert.Equal(new Uri("http://p2:3128"), proxies.For(Https));
        Assert.Equal(new Uri("socks5://p3:1080"), From(("all_proxy", "socks5://p3:1080")).For(Https));
    }

    [Fact]
    public void LowerCaseWins_AndBareHostPortIsHttp()
    {
        Assert.Equal(new Uri("http://lower:1"), From(("http_proxy", "lower:1"), ("HTTP_PROXY", "http://upper:2")).For(Http));
    }

    [Theory]
    [InlineData("play.example.com", true)]
    [InlineData("example.com", true)]
    [InlineData(".example.com", true)]
    [InlineData("*", true)]
    [InlineData("other.com, play.example.com:8080", true)]
    [InlineData("play.example.com:9999", false)]
    [InlineData("ample.com", false)]
    [InlineData("", false)]
    public void NoProxy_HostsSuffixesPortsAndStar(string noProxy, bool bypassed)
    {
        var proxies = From(("HTTP_PROXY", "http://proxy:3128"), ("NO_PROXY", noProxy));
        Assert.Equal(bypassed ? null : new Uri("http://proxy:3128"), proxies.For(Http));
    }

    [Fact]
    public void NoProxy_IpAddresses()
    {
        var proxies = From(("HTTP_PROXY", "http://proxy:3128"), ("NO_PROXY", "127.0.0.1,::1"));
        Assert.Null(proxies.For(new Uri("http://127.0.0.1:5080/")));
        Assert.Null(proxies.For(new Uri("http://[::1]:5080/")));
        Assert.NotNull(proxies.For(new Uri("http://10.0.0.1:5080/")));
    }

    [Fact]
    public void UnsupportedScheme_Explained() =>
        Assert.Contains("use http://host:port or socks5://host:port", Assert.Throws<ArgumentException>(() => From(("HTTP_PROXY", "ftp://p:21")).For(Http)).Message, StringComparison.Ordinal);
}
