using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Playground.Modules;
using Playground.Sandbox;
using Playground.Sandbox.Scheduling;
using Playground.Telemetry;
using Playground.Web.Clients;
using Playground.Web.Embedding;
using Playground.Web.Snippets;
using Playground.Web.Terminals;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Configuration;

/// <summary>
/// The configuration tables in README.md and docs/ against the options classes they describe:
/// every setting is documented, every documented key exists, and every default the table
/// states as a literal is the default the code has.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    private static readonly string Root = WebProcess.RepositoryRoot();

    public static TheoryData<string, string> Sections() => new()
    {
        { SandboxOptions.SectionName, "README.md" },
        { SchedulerOptions.SectionName, "README.md" },
        { SnippetsOptions.SectionName, "README.md" },
        { NetworkOptions.SectionName, "README.md" },
        { ConnectionOptions.SectionName, "README.md" },
        { EmbedOptions.SectionName, "README.md" },
        { TerminalOptions.SectionName, "README.md" },
        { TelemetryOptions.SectionName, "README.md" },
        { ModuleOptions.SectionName, "docs/PROXY.md" },
        { "RateLimit", "docs/PROXY.md" },
    };

    private static readonly Dictionary<string, Func<object>> Defaults = new(StringComparer.Ordinal)
    {
        [SandboxOptions.SectionName] = () => new SandboxOptions(),
        [SchedulerOptions.SectionName] = () => new SchedulerOptions(),
        [SnippetsOptions.SectionName] = () => new SnippetsOptions(),
        [NetworkOptions.SectionName] = () => new NetworkOptions(),
        [ConnectionOptions.SectionName] = () => new ConnectionOptions(),
        [EmbedOptions.SectionName] = () => new EmbedOptions(),
        [TerminalOptions.SectionName] = () => new TerminalOptions(),
        [TelemetryOptions.SectionName] = () => new TelemetryOptions(),
        [ModuleOptions.SectionName] = () => new ModuleOptions(),
        // Playground.Proxy is built beside the tests but not referenced by them: loaded from its output.
        ["RateLimit"] = () => Activator.CreateInstance(ProxyAssembly().GetType("Playground.Proxy.Edge.EdgeRateLimitOptions", throwOnError: true)!)!,
    };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Table_Section_MatchesTheOptionsClass(string section, string document)
    {
        // Arrange
        var table = Table(section, document);
        var defaults = Defaults[section]();
        var settings = Settings(defaults.GetType()).ToDictionary(p => p.Name, StringComparer.Ordinal);

        // Assert: the same keys, both ways.
        Assert.Equal(settings.Keys.Order(StringComparer.Ordinal), table.Keys.Order(StringComparer.Ordinal));

        // Assert: a default written as a literal is the code's default.
        foreach (var (key, stated) in table)
        {
            if (Literal(stated) is { } literal && settings[key].GetValue(defaults) is { } actual && Format(actual) is { } formatted)
            {
                Assert.True(literal == formatted, $"{document}: {section}:{key} says {literal}, the code's default is {formatted}");
            }
        }
    }

    [Fact]
    public void Literal_DefaultCells_ReadAsTheDocsMeanThem()
    {
        Assert.Equal("00:01:00", Literal("`00:01:00`"));
        Assert.Equal("268435456", Literal("268435456 (256 MiB)"));
        Assert.Equal("data", Literal("`data` (under the content root)"));
        Assert.Null(Literal("number of cores"));
        Assert.Null(Literal("`DOCKER_HOST` or `unix:///var/run/docker.sock`"));
    }

    /// <summary>Public settings: properties with a setter, and collections filled by configuration binding.</summary>
    private static IEnumerable<PropertyInfo> Settings(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.SetMethod is { IsPublic: true } || (p.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType)));

    /// <summary>The rows of the table headed <c>| `Section:` key | default | meaning |</c>.</summary>
    private static Dictionary<string, string> Table(string section, string document)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, document));
        var header = Array.FindIndex(lines, l => l.StartsWith($"| `{section}:` key |", StringComparison.Ordinal));
        Assert.True(header >= 0, $"{document} has no table for the {section} section");
        return lines.Skip(header + 2)
            .TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(cells => cells[1].Trim('`'), cells => cells[2], StringComparer.Ordinal);
    }

    /// <summary>
    /// A default cell's literal: a leading number, or a single backticked value followed by
    /// nothing or a parenthesis. Prose ("number of cores", "`DOCKER_HOST` or …") has none.
    /// </summary>
    internal static string? Literal(string cell)
    {
        var match = LiteralCell().Match(cell);
        return match.Success ? (match.Groups["code"].Success ? match.Groups["code"].Value : match.Groups["number"].Value) : null;
    }

    private static string? Format(object value) => value switch
    {
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string or Uri => value.ToString(),
        _ => null,
    };

    private static Assembly ProxyAssembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(Root, "src", "Playground.Proxy", "bin", configuration, "net10.0", "Playground.Proxy.dll");
        Assert.True(File.Exists(dll), dll + " is missing: build the solution first (the README's test command does).");
        return Assembly.LoadFrom(dll);
    }

    [GeneratedRegex(@"^(?:`(?<code>[^`]+)`(?:\s*\(.*\))?|(?<number>-?\d+(?:\.\d+)?)(?:\s.*)?)$")]
    private static partial Regex LiteralCell();
}
