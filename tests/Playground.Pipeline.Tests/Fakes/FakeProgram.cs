using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Playground.Pipeline.Tests.Fakes;

/// <summary>
/// What a fake builder makes of Go source: the <c>//fake:</c> directives in its files. Build
/// directives act in the builder (<c>build-error TEXT</c>, <c>build-sleep MS</c>,
/// <c>compiler-oom</c>, <c>vet TEXT</c>, <c>fmt-error TEXT</c>); the rest become the "binary"
/// the fake launcher runs, in order:
/// <c>out TEXT</c>, <c>err TEXT</c> (with \n, \t, \\ and \xNN escapes), <c>sleep MS</c>,
/// <c>echo</c> (stdin to stdout until end of input), <c>args</c>, <c>hang</c>, <c>flood</c>
/// (output until killed), <c>oom</c> (killed for memory), <c>exit N</c>. A playback build
/// frames output as the faketime runtime does (<c>"\0\0PB" | u64 ns | u32 length | data</c>).
/// The top-level files must be <c>package main</c>, as the real agent checks.
/// </summary>
internal sealed partial record FakeProgram(string? BuildError, TimeSpan BuildSleep, bool CompilerOom, string? Vet, bool IsTest, byte[] Binary)
{
    private const string Magic = "#fake-binary\n";

    private static readonly string[] BuildVerbs = ["build-error", "build-sleep", "compiler-oom", "vet", "fmt-error"];

    /// <param name="files">The program's files, as the build request names them.</param>
    /// <param name="faketime">Built with <c>-tags=faketime</c> (playback): the binary frames its output with fake times, and its sleeps cost no wall time.</param>
    public static FakeProgram Parse(IReadOnlyDictionary<string, string> files, bool faketime = false)
    {
        foreach (var (name, body) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (name.EndsWith(".go", StringComparison.Ordinal) && !name.Contains('/', StringComparison.Ordinal)
                && PackageClause().Match(body) is { Success: true } package && package.Groups[1].Value != "main")
            {
                return new FakeProgram("package name must be main", TimeSpan.Zero, false, null, false, []);
            }
        }

        var directives = files.Where(f => f.Key.EndsWith(".go", StringComparison.Ordinal))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .SelectMany(f => Directives(f.Value))
            .ToList();
        string? Find(string verb) => directives.FirstOrDefault(d => d.Verb == verb).Argument;
        var sleep = Find("build-sleep") is { } ms ? TimeSpan.FromMilliseconds(int.Parse(ms, CultureInfo.InvariantCulture)) : TimeSpan.Zero;
        var script = (faketime ? "faketime \n" : "") + string.Join('\n', directives.Where(d => !BuildVerbs.Contains(d.Verb)).Select(d => d.Verb + " " + d.Argument));
        var isTest = files.TryGetValue("prog.go", out var prog) && prog.Contains("func Test", StringComparison.Ordinal) && !prog.Contains("func main", StringComparison.Ordinal);
        return new FakeProgram(
            Find("build-error") is { } error ? Unescape(error) : null,
            sleep,
            directives.Any(d => d.Verb == "compiler-oom"),
            Find("vet") is { } vet ? Unescape(vet) : null,
            isTest,
            Encoding.UTF8.GetBytes(Magic + script));
    }

    /// <summary>The argument of the first <c>//fake:verb</c> in <paramref name="body"/>, or null.</summary>
    public static string? Directive(string body, string verb) => Directives(body).FirstOrDefault(d => d.Verb == verb).Argument;

    /// <summary>The script of a fake binary, one (verb, argument) per step.</summary>
    public static IReadOnlyList<(string Verb, string Argument)> Script(byte[] binary)
    {
        var text = Encoding.UTF8.GetString(binary);
        if (!text.StartsWith(Magic, StringComparison.Ordinal))
        {
            throw new InvalidDataException("not a fake binary");
        }

        return [.. text[Magic.Length..].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            return space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
        })];
    }

    private static IEnumerable<(string Verb, string Argument)> Directives(string body) =>
        DirectiveLine().Matches(body).Select(m => (m.Groups[1].Value, m.Groups[2].Value.TrimEnd('\r')));

    public static string Unescape(string text) => Escape().Replace(text, m => m.Value[1] switch
    {
        'n' => "\n",
        't' => "\t",
        '\\' => "\\",
        _ => ((char)int.Parse(m.Value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString(),
    });

    /// <summary>As <see cref="Unescape"/>, but \xNN is a byte, so a script can write invalid UTF-8.</summary>
    public static byte[] UnescapeBytes(string text)
    {
        var bytes = new List<byte>();
        var at = 0;
        foreach (Match m in Escape().Matches(text))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(text[at..m.Index]));
            if (m.Value[1] == 'x')
            {
                bytes.Add(byte.Parse(m.Value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(Unescape(m.Value)));
            }

            at = m.Index + m.Length;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(text[at..]));
        return [.. bytes];
    }

    [GeneratedRegex(@"^\s*//fake:([a-z-]+) ?(.*)$", RegexOptions.Multiline)]
    private static partial Regex DirectiveLine();

    [GeneratedRegex(@"^\s*package\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex PackageClause();

    [GeneratedRegex(@"\\(n|t|\\|x[0-9a-fA-F]{2})")]
    private static partial Regex Escape();
}
