namespace Playground.Sandbox.Images;

/// <summary>A Go toolchain on the host that builds the programs embedded in this assembly (launcher, agent).</summary>
internal sealed record GoToolchain(string GoRoot, string Version)
{
    public string GoBinary => Path.Combine(GoRoot, "bin", "go");

    /// <summary>Builds an embedded Go program as a static linux/amd64 binary and returns its bytes.</summary>
    public async Task<byte[]> BuildEmbeddedAsync(string program, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("goplay-" + program + "-");
        try
        {
            foreach (var (name, content) in EmbeddedSources.Files(program))
            {
                await File.WriteAllBytesAsync(Path.Combine(dir.FullName, name), content, cancellationToken).ConfigureAwait(false);
            }

            var output = Path.Combine(dir.FullName, program);
            await HostProcess.RunAsync(
                GoBinary,
                ["build", "-trimpath", "-ldflags=-s -w", "-o", output, "."],
                dir.FullName,
                new Dictionary<string, string>
                {
                    ["CGO_ENABLED"] = "0",
                    ["GOOS"] = "linux",
                    ["GOARCH"] = "amd64",
                    ["GO111MODULE"] = "on",
                    ["GOPROXY"] = "off",
                    ["GOFLAGS"] = "-mod=mod",
                    ["GOTOOLCHAIN"] = "local",
                },
                cancellationToken).ConfigureAwait(false);
            return await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>The Go sources of the launcher and the build agent, embedded in this assembly.</summary>
internal static class EmbeddedSources
{
    public static IEnumerable<(string Name, byte[] Content)> Files(string program)
    {
        var asm = typeof(EmbeddedSources).Assembly;
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.StartsWith(program + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var s = asm.GetManifestResourceStream(resource)!;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            yield return (resource[(program.Length + 1)..], ms.ToArray());
        }
    }

    /// <summary>A short content hash of a program's sources, used in image tags so a changed launcher gets a new image.</summary>
    public static string Hash(string program, params string[] extra)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (name, content) in Files(program))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\0"));
            sha.AppendData(content);
        }

        foreach (var e in extra)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(e + "\0"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..12];
    }
}
