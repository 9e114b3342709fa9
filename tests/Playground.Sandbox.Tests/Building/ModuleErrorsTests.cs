using Playground.Sandbox.Building;
using Playground.Sandbox.Containers;

namespace Playground.Sandbox.Tests.Building;

/// <summary>
/// The forms cmd/go reports a module proxy failure in; the integration test (ModuleProxyTests)
/// sees the two a real build gives, these hold the rarer ones.
/// </summary>
public sealed class ModuleErrorsTests
{
    private const string Relay = ContainerSpecs.ModuleProxyUrl;

    [Theory]
    // One line of server response: the reason replaces address and status.
    [InlineData(
        "prog.go:3:8: example.com/x@v1.2.3: reading " + Relay + "/example.com/x/@v/v1.2.3.zip: 404 Not Found\n\tserver response: not found: unknown revision v1.2.3\n",
        "prog.go:3:8: example.com/x@v1.2.3: not found: unknown revision v1.2.3\n")]
    // Several lines: cmd/go puts each on a tab-indented line of its own.
    [InlineData(
        "go: module example.com/x: reading " + Relay + "/example.com/x/@v/list: 410 Gone\n\tserver response:\n\tnot found: example.com/x\n\tgone for good\ngo: next line\n",
        "go: module example.com/x: not found: example.com/x; gone for good\ngo: next line\n")]
    // No text/plain body: only the status is known.
    [InlineData(
        "go: example.com/x@v1.0.0: reading " + Relay + "/example.com/x/@v/v1.0.0.mod: 404 Not Found\n",
        "go: example.com/x@v1.0.0: not found\n")]
    [InlineData(
        "go: example.com/x@v1.0.0: reading " + Relay + "/example.com/x/@v/v1.0.0.mod: 502 Bad Gateway\n",
        "go: example.com/x@v1.0.0: the module proxy could not serve it\n")]
    // No answer: a transport error, in cmd/go's form and in net/http's.
    [InlineData(
        "go: example.com/x@v1.0.0: reading " + Relay + "/example.com/x/@v/v1.0.0.zip: unexpected EOF\n",
        "go: example.com/x@v1.0.0: the module proxy could not be reached\n")]
    [InlineData(
        "prog.go:3:8: module example.com/x: Get \"" + Relay + "/example.com/x/@v/list\": dial tcp 127.0.0.1:8642: connect: connection refused\n",
        "prog.go:3:8: module example.com/x: the module proxy could not be reached\n")]
    public void Rewrite_ProxyFailure_ReasonInsteadOfTheRelaysAddress(string output, string expected) =>
        Assert.Equal(expected, ModuleErrors.Rewrite(output));

    [Fact]
    public void Rewrite_OtherOutput_Unchanged()
    {
        const string output = "./prog.go:4:2: declared and not used: x\nsee https://proxy.golang.org/example.com/x/@v/list: 404 Not Found\n";

        Assert.Same(output, ModuleErrors.Rewrite(output));
    }
}
