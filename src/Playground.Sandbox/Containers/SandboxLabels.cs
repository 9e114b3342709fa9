namespace Playground.Sandbox.Containers;

/// <summary>Labels on every container the sandbox creates, so clean-up can always find them.</summary>
public static class SandboxLabels
{
    public const string Managed = "io.goplay.managed";
    public const string Role = "io.goplay.role";
    public const string RunId = "io.goplay.run-id";
    public const string CreatedUnix = "io.goplay.created";
    public const string Owner = "io.goplay.owner";

    internal static Dictionary<string, string> For(string role, string runId, string owner, TimeProvider time) => new()
    {
        [Managed] = "true",
        [Owner] = owner,
        [Role] = role,
        [RunId] = runId,
        [CreatedUnix] = time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
