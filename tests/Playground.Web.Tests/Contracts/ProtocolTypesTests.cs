using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Playground.Web.Tests.Browser;

namespace Playground.Web.Tests.Contracts;

/// <summary>
/// The front end's wire types (wwwroot/src/protocol.ts) against the server's: a member added
/// or renamed on one side fails here instead of in a user's browser.
/// </summary>
public sealed partial class ProtocolTypesTests
{
    private static readonly string Protocol = File.ReadAllText(Path.Combine(BrowserFixture.RepositoryRootPath, "wwwroot", "src", "protocol.ts"));

    [Fact]
    public void Outcome_SameWordsAsRunOutcome() =>
        Assert.Equal(Words<RunOutcome>(), Union("export type Outcome ="));

    [Fact]
    public void RunEventKind_SameWordsAsTheServer() =>
        Assert.Equal(Words<RunEventKind>(), Union("kind:"));

    [Fact]
    public void RunMode_SameWordsAsTheServer() =>
        Assert.Equal(Words<RunMode>(), Union("export type RunMode ="));

    [Fact]
    public void RunEvent_SameFieldsAsTheServerSends() =>
        Assert.Equal(JsonFields(typeof(RunEvent)), InterfaceFields("RunEvent"));

    [Fact]
    public void RunRequest_EveryFieldThePageSendsIsOneTheServerReads() =>
        Assert.Subset(JsonFields(typeof(RunRequest)), InterfaceFields("RunRequest"));

    private static SortedSet<string> Words<TEnum>()
        where TEnum : struct, Enum => new(Enum.GetValues<TEnum>().Select(KebabCase.Name), StringComparer.Ordinal);

    /// <summary>The string literals of the union that starts at <paramref name="start"/> and ends at its ';'.</summary>
    private static SortedSet<string> Union(string start)
    {
        var at = Protocol.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"protocol.ts has no '{start}'");
        var end = Protocol.IndexOf(';', at);
        return new(Literal().Matches(Protocol[at..end]).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    private static SortedSet<string> InterfaceFields(string name)
    {
        var match = Regex.Match(Protocol, $@"export interface {name} \{{(?<body>[^}}]*)\}}", RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, $"protocol.ts has no interface {name}");
        return new(Field().Matches(match.Groups["body"].Value).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    private static SortedSet<string> JsonFields(Type type) => new(
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is not { Condition: JsonIgnoreCondition.Always })
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)),
        StringComparer.Ordinal);

    [GeneratedRegex("\"([a-z-]+)\"")]
    private static partial Regex Literal();

    // A field line: "  name?: type;" (comments are skipped: they do not start with a name).
    [GeneratedRegex(@"^\s*([A-Za-z]+)\??:", RegexOptions.Multiline)]
    private static partial Regex Field();
}
