using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Playground.Sandbox.Running;
using Playground.Sandbox.Runs;

namespace Playground.Web.Api;

/// <summary>The official playground's <c>/compile</c> response, field for field and in its order.</summary>
internal sealed record CompileResponse
{
    public string Errors { get; init; } = "";

    public IReadOnlyList<CompileEvent>? Events { get; init; }

    public int Status { get; init; }

    public bool IsTest { get; init; }

    public int TestsFailed { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? VetErrors { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool VetOK { get; init; }
}

internal sealed record CompileEvent(string Message, string Kind, long Delay);

/// <summary>The response of <c>/_/compile</c> without <c>version=2</c>.</summary>
internal sealed record LegacyCompileResponse(
    [property: JsonPropertyName("compile_errors")] string CompileErrors,
    [property: JsonPropertyName("output")] string Output);

internal static class GoJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = null,
        // Go's encoder leaves non-ASCII text alone; its HTML escaping is applied below.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// JSON as Go's <c>json.NewEncoder(w).Encode(v)</c> writes it: &lt;, &gt;, &amp;, U+2028 and
    /// U+2029 escaped, and a trailing newline. Those characters can only occur inside strings.
    /// </summary>
    public static string Serialize<T>(T value)
    {
        var json = JsonSerializer.Serialize(value, Options);
        var sb = new StringBuilder(json.Length + 16);
        foreach (var c in json)
        {
            _ = c switch
            {
                '<' => sb.Append("\\u003c"),
                '>' => sb.Append("\\u003e"),
                '&' => sb.Append("\\u0026"),
                '\u2028' => sb.Append("\\u2028"),
                '\u2029' => sb.Append("\\u2029"),
                _ => sb.Append(c),
            };
        }

        return sb.Append('\n').ToString();
    }
}

/// <summary>
/// Turns a playback run's output events into the official playground's event list: each
/// stream's output grouped per instant, the two streams merged by fake time (stderr first on
/// ties), and <c>Delay</c> the nanoseconds since the last event that moved the clock.
/// </summary>
internal static class PlaybackEvents
{
    public static List<CompileEvent>? Merge(IEnumerable<RunEvent> events)
    {
        var stdout = Group(events, RunEventKind.Stdout);
        var stderr = Group(events, RunEventKind.Stderr);
        var merged = new List<(long Time, string Kind, string Message)>(stdout.Count + stderr.Count);
        int i = 0, j = 0;
        while (i < stdout.Count || j < stderr.Count)
        {
            // Upstream takes stdout only when it is strictly earlier.
            if (j >= stderr.Count || (i < stdout.Count && stdout[i].Time < stderr[j].Time))
            {
                merged.Add(stdout[i++]);
            }
            else
            {
                merged.Add(stderr[j++]);
            }
        }

        if (merged.Count == 0)
        {
            return null;
        }

        var now = PlaybackDecoder.EpochNs;
        var result = new List<CompileEvent>(merged.Count);
        foreach (var (time, kind, message) in merged)
        {
            var delay = Math.Max(0, time - now);
            if (delay > 0)
            {
                now = time;
            }

            result.Add(new CompileEvent(message, kind, delay));
        }

        return result;
    }

    private static List<(long Time, string Kind, string Message)> Group(IEnumerable<RunEvent> events, RunEventKind kind)
    {
        var name = kind == RunEventKind.Stdout ? "stdout" : "stderr";
        var list = new List<(long Time, string Kind, string Message)>();
        foreach (var e in events.Where(e => e.Kind == kind && !string.IsNullOrEmpty(e.Data)))
        {
            var time = e.PlaybackTimeNs ?? PlaybackDecoder.EpochNs;
            if (list.Count > 0 && list[^1].Time == time)
            {
                list[^1] = (time, name, list[^1].Message + e.Data);
            }
            else
            {
                list.Add((time, name, e.Data!));
            }
        }

        return list;
    }
}
