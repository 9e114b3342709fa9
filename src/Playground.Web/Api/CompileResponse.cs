using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

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

/// <summary>
/// The response of <c>/_/compile</c> with <c>version=2</c>: go.dev decodes play.golang.org's
/// answer into a struct of these three fields (golang/website internal/play/proxy.go) and
/// encodes that again, so Status, IsTest, TestsFailed and VetOK are gone and VetErrors,
/// without omitempty there, is always present.
/// </summary>
internal sealed record GoDevCompileResponse(string Errors, IReadOnlyList<CompileEvent>? Events, string VetErrors);

internal static class GoJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = null,
        // Go's encoder leaves non-ASCII text alone; its HTML escaping is applied below.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// JSON as Go's <c>json.NewEncoder(w).Encode(v)</c> writes it (play.golang.org's answers):
    /// <see cref="Marshal"/>'s text and a trailing newline.
    /// </summary>
    public static string Serialize<T>(T value) => Marshal(value) + "\n";

    /// <summary>
    /// JSON as Go's <c>json.Marshal(v)</c> writes it (go.dev's <c>/_/compile</c>): &lt;, &gt;,
    /// &amp;, U+2028 and U+2029 escaped, no trailing newline. Those characters can only occur
    /// inside strings.
    /// </summary>
    public static string Marshal<T>(T value)
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

        return sb.ToString();
    }

    /// <summary>Writes <paramref name="value"/> as the response body, as upstream: application/json.</summary>
    public static async Task WriteAsync<T>(HttpContext http, T value)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(Serialize(value), http.RequestAborted);
    }
}

/// <summary>Plain-text answers of the API routes (errors, as Go's http.Error writes them).</summary>
internal static class ApiText
{
    public static async Task WriteAsync(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(text, http.RequestAborted);
    }
}

/// <summary>A playback run's output events (already merged by fake time, see PlaybackOrder) in the upstream shape.</summary>
internal static class PlaybackEvents
{
    /// <summary>Null when there was no output, as upstream.</summary>
    public static List<CompileEvent>? From(IEnumerable<RunEvent> events)
    {
        var list = events
            .Where(e => e.Kind is RunEventKind.Stdout or RunEventKind.Stderr && !string.IsNullOrEmpty(e.Data))
            .Select(e => new CompileEvent(e.Data!, e.Kind == RunEventKind.Stdout ? "stdout" : "stderr", e.DelayNs ?? 0))
            .ToList();
        return list.Count == 0 ? null : list;
    }
}
