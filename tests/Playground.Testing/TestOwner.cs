namespace Playground.Testing;

/// <summary>
/// The owner name every sandbox host in this test process gives its containers
/// (<c>Sandbox:InstanceName</c>, written to the <c>io.goplay.owner</c> label). The suites look
/// only at containers carrying it, so they can share the engine with a GoPlay that
/// <c>scripts/start.sh</c> runs, or with another test process.
/// </summary>
public static class TestOwner
{
    /// <summary>Set by scripts/test.sh (GOPLAY_TEST_OWNER), so its leak check can find this run's containers; random otherwise.</summary>
    public static string Prefix { get; } =
        Environment.GetEnvironmentVariable("GOPLAY_TEST_OWNER") is { Length: > 0 } owner ? owner : "test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>An instance name of this process for one purpose: the prefix, the purpose, a random suffix.</summary>
    public static string Name(string purpose) => Prefix + "-" + purpose + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Whether a container's owner label belongs to this test process.</summary>
    public static bool Owns(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(Playground.Sandbox.Containers.SandboxLabels.Owner, out var owner) && owner.StartsWith(Prefix, StringComparison.Ordinal);
}
