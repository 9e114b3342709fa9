using System.Collections.Frozen;
using System.Text;

namespace Playground.Web.Examples;

/// <summary>
/// <c>/doc/play/{name}.txt</c>: the editor's examples as text, as upstream's examples handler
/// serves its own (golang/playground examples.go): the file without its <c>// Title:</c> line,
/// a 404 for any other name.
/// </summary>
internal static class ExampleEndpoints
{
    /// <summary>Where the csproj embeds the front end's <c>src/examples/*.txt</c>, so the page and this route serve one text.</summary>
    private const string ResourcePrefix = "examples/";

    private const string TitlePrefix = "// Title:";

    public static WebApplication MapExamples(this WebApplication app)
    {
        var examples = Load();
        app.MapMethods("/doc/play/{**name}", [HttpMethods.Get, HttpMethods.Head], (string? name) =>
            name is not null && examples.TryGetValue(name, out var text)
                ? Results.Bytes(text, "text/plain; charset=utf-8", enableRangeProcessing: true)
                // Go's http.NotFound.
                : Results.Text("404 page not found\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound));
        return app;
    }

    /// <summary>The examples by file name; a file without its title line fails the start, as upstream's does.</summary>
    internal static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(ExampleEndpoints).Assembly;
        var examples = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var text = reader.ReadToEnd();
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline < 0 || !text.StartsWith(TitlePrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The example {resource} must start with a line beginning \"{TitlePrefix}\".");
            }

            examples[resource[ResourcePrefix.Length..]] = Encoding.UTF8.GetBytes(text[(newline + 1)..]);
        }

        return examples.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
