using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// YAML read into JSON nodes the way Helm reads it. YamlDotNet's representation model keeps
/// every scalar as text; Helm (go-yaml v2 through sigs.k8s.io/yaml) resolves plain scalars
/// to booleans, numbers and null by YAML 1.1 rules, and quoted ones stay strings. The schema
/// types and the values handed to the chart check depend on that difference.
/// </summary>
internal static partial class YamlJson
{
    public static JsonNode? Parse(string yaml)
    {
        var documents = ParseAll(yaml);
        return documents.Count == 1 ? documents[0] : throw new FormatException($"expected one YAML document, found {documents.Count}");
    }

    /// <summary>Every document of a multi-document stream ("---"), skipping empty ones as kubectl does.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents
            .Where(d => d.RootNode is not YamlScalarNode { Value: null or "" })
            .Select(d => Convert(d.RootNode))];
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMapping(map),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode scalar => Resolve(scalar),
        _ => throw new FormatException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonObject ConvertMapping(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            // go-yaml rejects a repeated key, so Helm would too: a silent overwrite here would hide it.
            if (!obj.TryAdd(name, Convert(value)))
            {
                throw new FormatException($"duplicate key '{name}' at {key.Start}");
            }
        }

        return obj;
    }

    private static JsonValue? Resolve(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        // YAML 1.1 booleans, as go-yaml v2 reads them.
        switch (text)
        {
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (Integer().IsMatch(text) && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return Number(l.ToString(CultureInfo.InvariantCulture));
        }

        if (Float().IsMatch(text) && double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return Number(d.ToString("R", CultureInfo.InvariantCulture));
        }

        return JsonValue.Create(text);
    }

    // Numbers backed by JSON text convert to any numeric type on read ((int)node, (long)node),
    // as numbers parsed from JSON do; JsonValue.Create(long) would only give back a long.
    private static JsonValue Number(string json) => (JsonValue)JsonNode.Parse(json)!;

    [GeneratedRegex("^[-+]?[0-9][0-9_]*$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")]
    private static partial Regex Float();
}
