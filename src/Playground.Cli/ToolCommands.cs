using System.Net;
using System.Text.Json;

namespace Playground.Cli;

/// <summary><c>goplay share</c>, <c>goplay fmt</c> and <c>goplay completion</c>.</summary>
internal static class ToolCommands
{
    public static async Task<int> ShareAsync(Server server, Terminal console, IReadOnlyDictionary<string, string> files)
    {
        var text = Sources.ToText(files);
        using var response = await server.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/share"))
        {
            Content = new StringContent(text),
        }, CancellationToken.None).ConfigureAwait(false);
        var body = (await response.Content.ReadAsStringAsync().ConfigureAwait(false)).Trim();
        if (!response.IsSuccessStatusCode)
        {
            console.Error($"goplay: share failed: {(int)response.StatusCode} {body}");
            return response.StatusCode == HttpStatusCode.RequestEntityTooLarge ? ExitCodes.Rejected : ExitCodes.Unavailable;
        }

        console.Out(new Uri(server.Address, "/p/" + body) + "\n");
        return 0;
    }

    public static async Task<int> FormatAsync(Server server, Terminal console, string path, IReadOnlyDictionary<string, string> files, bool write, bool imports, string? goVersion)
    {
        var form = new Dictionary<string, string> { ["body"] = Sources.ToText(files) };
        if (imports)
        {
            form["imports"] = "true";
        }

        using var response = await server.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, string.IsNullOrEmpty(goVersion) ? "/fmt" : "/fmt?go=" + Uri.EscapeDataString(goVersion)))
        {
            Content = new FormUrlEncodedContent(form),
        }, CancellationToken.None).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            console.Error($"goplay: fmt failed: {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync().ConfigureAwait(false)).Trim()}");
            return ExitCodes.Unavailable;
        }

        using var reply = JsonDocument.Parse(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
        var error = reply.RootElement.TryGetProperty("Error", out var e) ? e.GetString() : null;
        if (!string.IsNullOrEmpty(error))
        {
            console.Error(error.TrimEnd('\n'));
            return 1;
        }

        var formatted = reply.RootElement.GetProperty("Body").GetString() ?? "";
        if (!write)
        {
            console.Out(formatted);
            return 0;
        }

        if (files.Count != 1 || path == "-" || Directory.Exists(path))
        {
            console.Error("goplay: fmt -w takes one file");
            return ExitCodes.Usage;
        }

        if (formatted != files.Values.Single())
        {
            await File.WriteAllTextAsync(path, formatted).ConfigureAwait(false);
        }

        return 0;
    }

    public static int Completion(Terminal console, string shell)
    {
        var script = shell switch
        {
            "bash" => """
                # goplay completion for bash: source <(goplay completion bash)
                _goplay() {
                  local cur=${COMP_WORDS[COMP_CWORD]}
                  if [ "$COMP_CWORD" -eq 1 ]; then
                    COMPREPLY=($(compgen -W "run share fmt completion help --server --no-proxy --help --version" -- "$cur"))
                  elif [ "${COMP_WORDS[1]}" = completion ]; then
                    COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))
                  elif [[ "$cur" == -* ]]; then
                    COMPREPLY=($(compgen -W "--server --no-proxy --mode --vet -w --imports" -- "$cur"))
                  else
                    COMPREPLY=($(compgen -f -- "$cur"))
                  fi
                }
                complete -o filenames -F _goplay goplay

                """,
            "zsh" => """
                #compdef goplay
                # goplay completion for zsh: goplay completion zsh > "${fpath[1]}/_goplay"
                _goplay() {
                  _arguments \
                    '--server[GoPlay server URL]:url:' \
                    '--no-proxy[connect directly]' \
                    '1:command:(run share fmt completion help)' \
                    '*::file:_files'
                }
                compdef _goplay goplay

                """,
            "fish" => """
                # goplay completion for fish: goplay completion fish > ~/.config/fish/completions/goplay.fish
                complete -c goplay -f -n '__fish_use_subcommand' -a 'run share fmt completion help'
                complete -c goplay -F -n '__fish_seen_subcommand_from run share fmt'
                complete -c goplay -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
                complete -c goplay -l server -r -d 'GoPlay server URL'
                complete -c goplay -l no-proxy -d 'Connect directly, ignoring proxy settings'
                complete -c goplay -l mode -x -a 'live playback' -d 'Run mode'
                complete -c goplay -l vet -d 'Run go vet first'

                """,
            _ => null,
        };
        if (script is null)
        {
            console.Error($"goplay: no completion for shell \"{shell}\": use bash, zsh or fish");
            return ExitCodes.Usage;
        }

        console.Out(script);
        return 0;
    }
}
