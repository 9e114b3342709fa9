using System.Text;

namespace Playground.Cli;

/// <summary>
/// The terminal: program output as raw UTF-8 on stdout and stderr, goplay's own messages on
/// stderr, coloured only when stderr is a terminal and NO_COLOR is unset, and a transient
/// status line (queued, building) only when stderr is a terminal.
/// </summary>
internal sealed class Terminal
{
    private readonly Stream _stdout = System.Console.OpenStandardOutput();
    private readonly Stream _stderr = System.Console.OpenStandardError();
    private readonly bool _stderrIsTerminal = !System.Console.IsErrorRedirected;
    private readonly bool _colour;

    public Terminal(Func<string, string?> env)
    {
        _colour = _stderrIsTerminal && string.IsNullOrEmpty(env("NO_COLOR")) && env("TERM") != "dumb";
    }

    public TextWriter Notices { get; } = System.Console.Error;

    public void Out(string text) => Write(_stdout, text);

    public void Err(string text) => Write(_stderr, text);

    public void Error(string line) => Write(_stderr, (_colour ? "\e[31m" + line + "\e[0m" : line) + "\n");

    public void Warning(string line) => Write(_stderr, (_colour ? "\e[33m" + line + "\e[0m" : line) + "\n");

    /// <summary>Replaces the status line (a terminal only: piped stderr gets no progress chatter).</summary>
    public void Status(string text, ref bool shown)
    {
        if (!_stderrIsTerminal)
        {
            return;
        }

        Write(_stderr, "\r\e[2K" + (_colour ? "\e[2m" + text + "\e[0m" : text));
        shown = true;
    }

    public void ClearStatus(ref bool shown)
    {
        if (shown)
        {
            Write(_stderr, "\r\e[2K");
            shown = false;
        }
    }

    /// <summary>Before an abrupt exit: nothing of ours left on the line.</summary>
    public void Restore()
    {
        if (_stderrIsTerminal)
        {
            Write(_stderr, "\r\e[2K");
        }
    }

    private static void Write(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        stream.Write(bytes);
        stream.Flush();
    }
}
