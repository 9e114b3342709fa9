using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Cli;

/// <summary>The real <c>goplay</c> process against a running server.</summary>
[Collection(WebAppTests.Name)]
public sealed class GoplayCliTests(WebAppFixture app) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("goplay-cli-").FullName;

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_Hello_OutputAndExitZero()
    {
        var file = Write("hello.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(\"Hello from goplay\")\n\tfmt.Fprintln(os.Stderr, \"to stderr\")\n}\n");

        var (code, stdout, stderr) = await Goplay.RunAsync(app.BaseAddress, ["run", file]);

        Assert.Equal(0, code);
        Assert.Equal("Hello from goplay\n", stdout);
        Assert.Equal("to stderr\n", stderr);
    }

    [Fact]
    public async Task Run_GoFlagOrEnvironment_BuildsWithThatVersion()
    {
        var file = Write("version.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n");

        var (code, stdout, _) = await Goplay.RunAsync(app.BaseAddress, ["run", "--go", "1.25", file]);
        var (envCode, envStdout, _) = await Goplay.RunAsync(app.BaseAddress, ["run", file], env: new Dictionary<string, string> { ["GOPLAY_GO"] = "previous" });
        var (badCode, _, badStderr) = await Goplay.RunAsync(app.BaseAddress, ["run", "--go=1.99", file]);
        // gofmt of the chosen toolchain, and the same refusal for fmt.
        var (fmtCode, formatted, _) = await Goplay.RunAsync(app.BaseAddress, ["fmt", "--go", "1.22", Write("fmt.go", "package main\nfunc main(){for i:=range 3{_=i}}\n")]);

        Assert.Equal(0, code);
        Assert.StartsWith("go1.25.", stdout, StringComparison.Ordinal);
        Assert.Equal(0, envCode);
        Assert.StartsWith("go1.26.", envStdout, StringComparison.Ordinal);
        Assert.Equal(126, badCode);
        Assert.Contains("Go version \"1.99\" is not available; this server has go1.27.", badStderr, StringComparison.Ordinal);
        Assert.Equal(0, fmtCode);
        Assert.Equal("package main\n\nfunc main() {\n\tfor i := range 3 {\n\t\t_ = i\n\t}\n}\n", formatted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_OnATerminal_ProgressOnStderrAndColoursUnlessNoColor(bool noColor)
    {
        // script(1) gives goplay a pseudo-terminal, as an interactive shell would.
        var file = Write("tty.go", "package main\n\nfunc main() { nope() }\n");
        var command = $"'{Goplay.Executable}' run '{file}'";
        var env = new Dictionary<string, string> { ["TERM"] = "xterm" };
        if (noColor)
        {
            env["NO_COLOR"] = "1";
        }

        var (code, transcript, _) = await Goplay.RunAsync(app.BaseAddress, ["-q", "-e", "-c", command, "/dev/null"], env: env, fileName: "/usr/bin/script");

        Assert.Equal(125, code);
        Assert.Contains("building…", transcript, StringComparison.Ordinal);
        Assert.Contains("undefined: nope", transcript, StringComparison.Ordinal);
        Assert.Equal(!noColor, transcript.Contains("\e[31m", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_OsExit3_ExitsWith3()
    {
        var file = Write("exit.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(3) }\n");
        var (code, stdout, _) = await Goplay.RunAsync(app.BaseAddress, ["run", file]);
        Assert.Equal(3, code);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Run_BuildError_125WithTheErrorOnStderr()
    {
        var file = Write("broken.go", "package main\n\nfunc main() { notDefined() }\n");
        var (code, stdout, stderr) = await Goplay.RunAsync(app.BaseAddress, ["run", file]);
        Assert.Equal(125, code);
        Assert.Equal("", stdout);
        Assert.Contains("prog.go:3:15: undefined: notDefined", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StdinPiped_ProgramReadsItToEof()
    {
        var file = Write("greet.go", """
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            )

            func main() {
            	in := bufio.NewScanner(os.Stdin)
            	for in.Scan() {
            		fmt.Printf("Hello, %s!\n", in.Text())
            	}
            	fmt.Println("eof")
            }
            """);

        var (code, stdout, _) = await Goplay.RunAsync(app.BaseAddress, ["run", file], stdin: "Ada\nGrace\n");
        Assert.Equal(0, code);
        Assert.Equal("Hello, Ada!\nHello, Grace!\neof\n", stdout);
    }

    [Fact]
    public async Task Run_CtrlC_KillsTheRemoteRunAndExits130()
    {
        var file = Write("spin.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n");
        // A shell that starts the suite in the background (nohup … &) has SIGINT ignored, and every
        // child inherits that (seen: goplay's SigIgn 0x1007); env restores the default a terminal's
        // foreground job has, so the signal reaches goplay as it would from a keyboard.
        await using var goplay = Goplay.Start(app.BaseAddress, ["--default-signal=INT", Goplay.Executable, "run", file], fileName: "/usr/bin/env");
        await goplay.WaitForStdoutAsync("spinning", TimeSpan.FromSeconds(60));

        var signals = string.Join(' ', File.ReadLines($"/proc/{goplay.Process.Id}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        goplay.Interrupt();
        int code;
        try
        {
            code = await goplay.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
            // Seen only in full-suite runs: say what goplay had printed by then.
            throw new Xunit.Sdk.XunitException($"goplay still running 10 s after SIGINT ({signals}).\nstdout: {goplay.Stdout}\nstderr: {goplay.Stderr}");
        }

        Assert.Equal(130, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"goplay took {clock.Elapsed} to stop");
        Assert.True(await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5), app.Owner) < TimeSpan.FromSeconds(5), "the remote run outlived Ctrl+C");
    }

    [Fact]
    public async Task Script_ShebangFile_RunsWithItsArguments()
    {
        var script = Write("hello-script", "#!/usr/bin/env goplay\npackage main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"args:\", os.Args[1:]) }\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var path = Goplay.Directory + ":" + Environment.GetEnvironmentVariable("PATH");
        var (code, stdout, stderr) = await Goplay.RunAsync(app.BaseAddress, ["one", "two"], env: new Dictionary<string, string> { ["PATH"] = path }, workingDirectory: _dir, fileName: script);

        Assert.True(code == 0, stderr);
        Assert.Equal("args: [one two]\n", stdout);
    }

    [Fact]
    public async Task Run_Directory_SendsItsGoFilesAndGoMod()
    {
        Write("proj/go.mod", "module example.com/proj\n\ngo 1.19\n");
        Write("proj/main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(double(21)) }\n");
        Write("proj/util.go", "package main\n\nfunc double(n int) int { return 2 * n }\n");

        var (code, stdout, stderr) = await Goplay.RunAsync(app.BaseAddress, ["run", Path.Combine(_dir, "proj")]);
        Assert.True(code == 0, stderr);
        Assert.Equal("42\n", stdout);
    }

    [Fact]
    public async Task ShareAndFmt_LinkServesTheCode_FmtWritesBack()
    {
        var source = "package main\nimport \"fmt\"\nfunc main() {\nfmt.Println(\"shared by goplay\")\n}\n";
        var file = Write("share.go", source);

        var (code, stdout, _) = await Goplay.RunAsync(app.BaseAddress, ["share", file]);
        Assert.Equal(0, code);
        var link = new Uri(stdout.Trim());
        Assert.Matches("^/p/[A-Za-z0-9_-]+$", link.AbsolutePath);
        Assert.Equal(source, await app.Http.GetStringAsync(new Uri(link + ".go")));

        var (fmtCode, formatted, _) = await Goplay.RunAsync(app.BaseAddress, ["fmt", file]);
        Assert.Equal(0, fmtCode);
        Assert.Equal("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"shared by goplay\")\n}\n", formatted);
        Assert.Equal(source, File.ReadAllText(file));

        Assert.Equal(0, (await Goplay.RunAsync(app.BaseAddress, ["fmt", "-w", file])).ExitCode);
        Assert.Equal(formatted, File.ReadAllText(file));
    }

    [Theory]
    [InlineData("bash", "complete -o filenames -F _goplay goplay")]
    [InlineData("zsh", "#compdef goplay")]
    [InlineData("fish", "complete -c goplay")]
    public async Task Completion_PrintsAScriptForTheShell(string shell, string marker)
    {
        var (code, stdout, _) = await Goplay.RunAsync(app.BaseAddress, ["completion", shell]);
        Assert.Equal(0, code);
        Assert.Contains(marker, stdout, StringComparison.Ordinal);
        if (shell == "bash")
        {
            File.WriteAllText(Path.Combine(_dir, "c.bash"), stdout);
            using var check = System.Diagnostics.Process.Start("bash", ["-n", Path.Combine(_dir, "c.bash")]);
            await check.WaitForExitAsync();
            Assert.Equal(0, check.ExitCode);
        }
    }

    [Fact]
    public async Task Errors_UsageMissingFileAndNoServer_DistinctCodes()
    {
        Assert.Equal(64, (await Goplay.RunAsync(app.BaseAddress, ["run"])).ExitCode);
        var missing = await Goplay.RunAsync(app.BaseAddress, ["run", Path.Combine(_dir, "nope.go")]);
        Assert.Equal(66, missing.ExitCode);
        Assert.Contains("no such file", missing.Stderr, StringComparison.Ordinal);

        var file = Write("ok.go", "package main\n\nfunc main() {}\n");
        var down = await Goplay.RunAsync(new Uri("http://127.0.0.1:9/"), ["run", file]);
        Assert.Equal(127, down.ExitCode);
        Assert.Contains("cannot reach http://127.0.0.1:9/", down.Stderr, StringComparison.Ordinal);

        var help = await Goplay.RunAsync(app.BaseAddress, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("125    build failed", help.Stdout, StringComparison.Ordinal);
    }
}
