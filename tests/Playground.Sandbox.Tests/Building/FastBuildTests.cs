using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Building;
using Playground.Sandbox.Images;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Building;

/// <summary>
/// The agent's fast path (compiler and linker called directly, Images/agent/fast.go) must
/// build what `go build` builds: same output, same build information, same messages. Each
/// case runs once on the fast path and once with a file that sends it to the go command.
/// </summary>
[Collection(DockerTests.Name)]
public sealed class FastBuildTests(SandboxFixture fixture)
{
    // A file the go command skips; the fast path leaves programs with ignored files to it.
    private const string IgnoredFile = "//go:build ignore\n\npackage main\n";

    [Theory]
    [MemberData(nameof(ConfiguredToolchains.Entries), MemberType = typeof(ConfiguredToolchains))]
    public async Task FastPathAndGoCommand_SameProgramOutputBuildInfoAndErrors(string entry)
    {
        var sandbox = fixture.Create(new Dictionary<string, string?> { ["Sandbox:BuilderPoolSize"] = "1", ["Sandbox:BinaryCacheBytes"] = "0", ["Sandbox:WarmToolchains"] = "0" });
        var (toolchain, images) = await ConfiguredToolchains.PrepareAsync(sandbox, entry);
        var pool = sandbox.Services.GetRequiredService<BuilderPool>();
        var builder = sandbox.Services.GetRequiredService<GoBuilder>();
        await pool.StartAsync(CancellationToken.None);
        try
        {
            // A pooled builder maps the standard library's export files when it starts and
            // uses the go command until then: build until the fast path answers.
            var hello = new Dictionary<string, string> { ["prog.go"] = "package main\n\nfunc main() {}\n" };
            BuildResult? warm = null;
            for (var i = 0; i < 60 && warm?.Via != "compiler"; i++)
            {
                warm = await builder.BuildAsync(images, "fast-test", hello, [], CancellationToken.None);
                Assert.Equal(BuildStatus.Ok, warm.Status);
            }

            Assert.Equal("compiler", warm!.Via);

            const string BuildInfo = """
                package main

                import (
                	"fmt"
                	"runtime/debug"
                )

                func main() {
                	info, ok := debug.ReadBuildInfo()
                	fmt.Println(ok, info.Path, info.Main.Path)
                	for _, s := range info.Settings {
                		fmt.Println(s.Key, s.Value)
                	}
                	panic("where")
                }
                """;
            var (fast, slow) = await BothAsync(sandbox, builder, images, new() { ["prog.go"] = BuildInfo });
            Assert.Equal(BuildStatus.Ok, fast.Build.Status);
            Assert.Equal(BuildStatus.Ok, slow.Build.Status);
            Assert.Equal(slow.Run.Stdout, fast.Run.Stdout);
            // Go 1.20 added the build mode to the build information.
            var buildMode = toolchain.Parsed.Minor >= 20 ? "-buildmode exe\n" : "";
            Assert.StartsWith("true play play\n" + buildMode + "-compiler gc\n-trimpath true\nCGO_ENABLED 0\n", fast.Run.Stdout, StringComparison.Ordinal);
            // Positions in a panic read the same: module path, file, line.
            Assert.Equal(slow.Run.Stderr, fast.Run.Stderr);
            Assert.Contains("play/prog.go:14", fast.Run.Stderr, StringComparison.Ordinal);

            var (fastError, slowError) = await BothAsync(sandbox, builder, images, new()
            {
                ["prog.go"] = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(undefinedName)\n\tvar unused int\n}\n",
            });
            Assert.Equal(BuildStatus.BuildError, fastError.Build.Status);
            Assert.Equal(slowError.Build.Output, fastError.Build.Output);
            // The unused-variable error was reworded in Go 1.20 and again in 1.23.
            var unused = toolchain.Parsed.Minor switch
            {
                >= 23 => "declared and not used: unused",
                >= 20 => "unused declared and not used",
                _ => "unused declared but not used",
            };
            Assert.Equal($"./prog.go:6:14: undefined: undefinedName\n./prog.go:7:6: {unused}\n", fastError.Build.Output);

            // A go.mod with nothing but a module path and the toolchain's language version stays
            // on the fast path and names the module in positions.
            var (fastModule, slowModule) = await BothAsync(sandbox, builder, images, new()
            {
                ["go.mod"] = $"module example.com/hello\n\ngo {toolchain.Parsed.Language}\n",
                ["prog.go"] = "package main\n\nfunc main() {\n\tvar x any = 1\n\t_ = x\n\tpanic(0)\n}\n",
            });
            Assert.Equal(slowModule.Run.Stderr, fastModule.Run.Stderr);
            Assert.Contains("example.com/hello/prog.go:6", fastModule.Run.Stderr, StringComparison.Ordinal);

            // A language version below a feature refuses it with the same message either way
            // (from Go 1.21 an older language version also changes GODEBUG defaults, which only
            // the go command applies, so the fast path steps aside there).
            var olderLanguage = new Dictionary<string, string>
            {
                ["go.mod"] = "module example.com/hello\n\ngo 1.17\n",
                ["prog.go"] = "package main\n\nfunc main() {\n\tvar x any = 1\n\t_ = x\n\tpanic(0)\n}\n",
            };
            var older = await builder.BuildAsync(images, "fast-test", olderLanguage, [], CancellationToken.None);
            var olderSlow = await builder.BuildAsync(images, "fast-test", new Dictionary<string, string>(olderLanguage) { ["ignored.go"] = IgnoredFile }, [], CancellationToken.None);
            Assert.Equal(toolchain.Parsed.Minor >= 21 ? "go" : "compiler", older.Via);
            Assert.Equal(BuildStatus.BuildError, older.Status);
            Assert.Equal(olderSlow.Output, older.Output);
            Assert.Contains("requires go1.18", older.Output, StringComparison.Ordinal);

            // Release tags are the toolchain's own (one agent, built by the newest toolchain,
            // serves every version): a file for the next release is left out, and one for this
            // release is in, on the fast path too.
            var tagged = new Dictionary<string, string>
            {
                ["prog.go"] = "package main\n\nimport \"fmt\"\n\nvar which = \"current\"\n\nfunc main() { fmt.Println(which) }\n",
                ["this.go"] = $"//go:build go1.{toolchain.Parsed.Minor}\n\npackage main\n\nfunc init() {{ which += \" go1.{toolchain.Parsed.Minor}\" }}\n",
            };
            var (fastTagged, slowTagged) = await BothAsync(sandbox, builder, images, tagged);
            Assert.Equal($"current go1.{toolchain.Parsed.Minor}\n", fastTagged.Run.Stdout);
            Assert.Equal(slowTagged.Run.Stdout, fastTagged.Run.Stdout);
            tagged["next.go"] = $"//go:build go1.{toolchain.Parsed.Minor + 1}\n\npackage main\n\nfunc init() {{ which = \"next\" }}\n";
            var next = await builder.BuildAsync(images, "fast-test", tagged, [], CancellationToken.None);
            Assert.Equal(BuildStatus.Ok, next.Status);
            Assert.Equal($"current go1.{toolchain.Parsed.Minor}\n", (await RunIfBuiltAsync(sandbox, next, tagged, images)).Stdout);
        }
        finally
        {
            await pool.StopAsync(CancellationToken.None);
        }

        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    private sealed record Outcome(BuildResult Build, RunRecording Run);

    /// <summary>Builds (and runs when it builds) the files once per path.</summary>
    private static async Task<(Outcome Fast, Outcome Slow)> BothAsync(
        SandboxInstance sandbox, GoBuilder builder, SandboxImageSet images, Dictionary<string, string> files)
    {
        var fast = await builder.BuildAsync(images, "fast-test", files, [], CancellationToken.None);
        Assert.Equal("compiler", fast.Via);
        var withIgnored = new Dictionary<string, string>(files) { ["ignored.go"] = IgnoredFile };
        var slow = await builder.BuildAsync(images, "fast-test", withIgnored, [], CancellationToken.None);
        Assert.Equal("go", slow.Via);

        return (new Outcome(fast, await RunIfBuiltAsync(sandbox, fast, files, images)), new Outcome(slow, await RunIfBuiltAsync(sandbox, slow, withIgnored, images)));
    }

    private static async Task<RunRecording> RunIfBuiltAsync(SandboxInstance sandbox, BuildResult build, Dictionary<string, string> files, SandboxImageSet images) =>
        build.Status == BuildStatus.Ok
            ? await RunRecording.RunAsync(sandbox.Runs, new RunRequest { Files = files, GoVersion = images.GoVersion })
            : new RunRecording([]);
}
