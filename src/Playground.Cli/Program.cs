using Playground.Outbound;

namespace Playground.Cli;

/// <summary>goplay, the terminal client: see <see cref="Cli.Usage"/> and docs/TERMINAL.md.</summary>
internal static class Program
{
    // Not top-level statements: their global Program class would clash with Playground.Web's in the tests.
    public static Task<int> Main(string[] args) => Cli.MainAsync(args, Environment.GetEnvironmentVariable);
}

internal static class Cli
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public const string Usage = """
        goplay: run Go programs on a GoPlay server as if they ran here.

        Usage:
          goplay run [--go VERSION] [--mode live|playback] [--vet] FILE|DIR|- [ARGS...]
          goplay share FILE|DIR|-
          goplay fmt [--go VERSION] [-w] [--imports] FILE|-
          goplay completion bash|zsh|fish
          goplay FILE [ARGS...]          (a script starting with #!/usr/bin/env goplay)

        run streams the program's stdout and stderr here, forwards this terminal's stdin
        (Ctrl+D ends it), kills the remote run on Ctrl+C, and exits with the program's exit
        code. A directory is sent with its .go files and go.mod; - reads the program from
        stdin (the program then gets no input).

        Options (before or after the command):
          --server URL   the GoPlay server (default: $GOPLAY_SERVER, else http://127.0.0.1:5080)
          --go VERSION   the Go version to build with: 1.25, go1.25, 1.25.3, latest or
                         previous (default: $GOPLAY_GO, else the server's newest)
          --no-proxy     connect directly, ignoring the proxy variables
          -h, --help     this help;  --version  the version

        Proxies: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (http:// or socks5://) and NO_PROXY are
        honoured for every connection. When the proxy cannot be reached, goplay says so once
        on stderr and connects directly.

        Exit codes of run:
          0-255  the program's own exit code (128+N when signal N ended it)
          124    time limit reached (run or build)
          125    build failed (compile errors)
          126    rejected by the server (busy, too large, invalid)
          127    server unreachable, connection lost, or an internal server error
          130    killed by Ctrl+C
          137    killed by the sandbox (memory or output limit)
          64     usage error;  66  the file cannot be read

        Progress (queued #N, building) is shown on stderr only when it is a terminal;
        NO_COLOR turns colours off.

        """;

    private static readonly string[] CommandNames = ["run", "share", "fmt", "completion", "help"];

    public static async Task<int> MainAsync(string[] args, Func<string, string?> env)
    {
        var console = new Terminal(env);
        var rest = new List<string>();
        string? serverText = null;
        var noProxy = false;
        var mode = "live";
        var vet = false;
        var write = false;
        var imports = false;
        var goVersion = env("GOPLAY_GO");

        // Options are recognised until the program's file; what follows it belongs to the program.
        var i = 0;
        for (; i < args.Length; i++)
        {
            var a = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "-h" or "--help":
                    console.Out(Usage);
                    return 0;
                case "--version":
                    console.Out("goplay " + (typeof(Cli).Assembly.GetName().Version?.ToString(3) ?? "0") + "\n");
                    return 0;
                case "--server":
                    serverText = Value();
                    continue;
                case "--no-proxy":
                    noProxy = true;
                    continue;
                case "--mode":
                    mode = Value() ?? "";
                    continue;
                case "--go":
                    goVersion = Value() ?? "";
                    continue;
                case "--vet":
                    vet = true;
                    continue;
                case "-w":
                    write = true;
                    continue;
                case "--imports":
                    imports = true;
                    continue;
                case "--":
                    i++;
                    break;
                default:
                    if (a.StartsWith("--server=", StringComparison.Ordinal))
                    {
                        serverText = a["--server=".Length..];
                        continue;
                    }

                    if (a.StartsWith("--mode=", StringComparison.Ordinal))
                    {
                        mode = a["--mode=".Length..];
                        continue;
                    }

                    if (a.StartsWith("--go=", StringComparison.Ordinal))
                    {
                        goVersion = a["--go=".Length..];
                        continue;
                    }

                    if (a.StartsWith('-') && a != "-")
                    {
                        return UsageError(console, $"unknown option {a}");
                    }

                    rest.Add(a);
                    // After the command, the first plain argument is the file; the rest go to the program.
                    if (rest.Count == (CommandNames.Contains(rest[0]) ? 2 : 1))
                    {
                        i++;
                        goto done;
                    }

                    continue;
            }

            break;
        }

    done:
        rest.AddRange(args.Skip(i));
        if (rest.Count == 0 || rest[0] == "help")
        {
            console.Out(Usage);
            return rest.Count == 0 ? ExitCodes.Usage : 0;
        }

        // Script mode: `goplay ./file.go args` is `goplay run ./file.go args`.
        if (!CommandNames.Contains(rest[0]))
        {
            rest.Insert(0, "run");
        }

        var command = rest[0];
        if (command == "completion")
        {
            return rest.Count == 2 ? ToolCommands.Completion(console, rest[1]) : UsageError(console, "completion takes one of bash, zsh, fish");
        }

        if (rest.Count < 2)
        {
            return UsageError(console, $"{command} needs a FILE, a DIR or - (stdin)");
        }

        if (mode is not ("live" or "playback"))
        {
            return UsageError(console, $"--mode must be live or playback, not \"{mode}\"");
        }

        serverText ??= env("GOPLAY_SERVER") is { Length: > 0 } fromEnv ? fromEnv : DefaultServer;
        if (!Uri.TryCreate(serverText.EndsWith('/') ? serverText : serverText + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            return UsageError(console, $"--server must be an http:// or https:// URL, not \"{serverText}\"");
        }

        Uri? proxy;
        try
        {
            proxy = noProxy ? null : ProxySettings.FromEnvironment(env).For(address);
        }
        catch (ArgumentException e)
        {
            return UsageError(console, e.Message);
        }

        var path = rest[1];
        IReadOnlyDictionary<string, string> files;
        try
        {
            files = await Sources.LoadAsync(path, System.Console.In);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error("goplay: " + e.Message);
            return ExitCodes.NoInput;
        }

        using var server = new Server(address, proxy, console.Notices);
        try
        {
            return command switch
            {
                "run" => await RunAsync(server, console, files, rest.Skip(2).ToList(), new RunOptions(mode == "playback" ? RunMode.Playback : RunMode.Live, vet, goVersion), forwardStdin: path != "-"),
                "share" => await ToolCommands.ShareAsync(server, console, files),
                "fmt" => await ToolCommands.FormatAsync(server, console, path, files, write, imports, goVersion),
                _ => UsageError(console, $"unknown command {command}"),
            };
        }
        catch (Exception e) when (Server.IsConnectionFailure(e))
        {
            console.Error($"goplay: cannot reach {server.Address}: {Server.Reason(e)}");
            return ExitCodes.Unavailable;
        }
    }

    private static async Task<int> RunAsync(Server server, Terminal console, IReadOnlyDictionary<string, string> files, List<string> args, RunOptions options, bool forwardStdin)
    {
        using var run = new RunCommand(server, console);
        return await run.RunAsync(files, args, options, forwardStdin);
    }

    private static int UsageError(Terminal console, string message)
    {
        console.Error("goplay: " + message + " (goplay --help shows usage)");
        return ExitCodes.Usage;
    }
}
