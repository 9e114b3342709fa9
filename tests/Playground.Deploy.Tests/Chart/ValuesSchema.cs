using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// The parts of JSON Schema draft-07 that values.schema.json uses (type, enum, properties,
/// additionalProperties, items, description), enough to say whether values.yaml and the
/// templates agree with it. Helm validates the full draft on install; no validator package
/// is in the repository, and these few rules are what keeps values, schema and templates in
/// step.
/// </summary>
internal static class ValuesSchema
{
    public static JsonObject Load() =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ChartChecker.ChartDirectory, "values.schema.json")))!;

    /// <summary>Whether a dotted path names an entry of the values tree (a map key at every step).</summary>
    public static bool Exists(JsonObject values, string path)
    {
        JsonNode? node = values;
        foreach (var key in path.Split('.'))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(key, out node))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The schema describing a dotted path, following properties; null when some step is not
    /// declared. A step below a free-form object (no properties) is covered by that object.
    /// </summary>
    public static JsonObject? Describe(JsonObject schema, string path)
    {
        var node = schema;
        foreach (var key in path.Split('.'))
        {
            if (node["properties"] is not JsonObject properties)
            {
                return IsFreeForm(node) ? node : null;
            }

            if (properties[key] is not JsonObject next)
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    /// <summary>Leaves of the values tree (scalars, lists, empty maps and free-form maps) the schema does not describe.</summary>
    public static IReadOnlyList<string> UndescribedLeaves(JsonObject values, JsonObject schema)
    {
        var problems = new List<string>();
        Walk(values, schema, "");
        return problems;

        void Walk(JsonObject obj, JsonObject objSchema, string prefix)
        {
            foreach (var (key, value) in obj)
            {
                var path = prefix.Length == 0 ? key : prefix + "." + key;
                if (objSchema["properties"]?[key] is not JsonObject s)
                {
                    problems.Add($"{path}: not in values.schema.json");
                    continue;
                }

                if (s["description"] is not JsonValue d || string.IsNullOrWhiteSpace((string?)d))
                {
                    problems.Add($"{path}: no description");
                }

                if (value is JsonObject child && s["properties"] is JsonObject)
                {
                    Walk(child, s, path);
                }
            }
        }
    }

    /// <summary>Schema properties (at any depth, items included) without a description.</summary>
    public static IReadOnlyList<string> PropertiesWithoutDescription(JsonObject schema)
    {
        var problems = new List<string>();
        Walk(schema, "");
        return problems;

        void Walk(JsonObject s, string path)
        {
            if (s["properties"] is JsonObject properties)
            {
                foreach (var (key, value) in properties)
                {
                    var p = path.Length == 0 ? key : path + "." + key;
                    var child = (JsonObject)value!;
                    if (string.IsNullOrWhiteSpace((string?)child["description"]))
                    {
                        problems.Add(p);
                    }

                    Walk(child, p);
                }
            }

            if (s["items"] is JsonObject items)
            {
                Walk(items, path + "[]");
            }
        }
    }

    /// <summary>Type, enum and closed-object violations of a values tree against the schema.</summary>
    public static IReadOnlyList<string> Validate(JsonNode? value, JsonObject schema)
    {
        var problems = new List<string>();
        Check(value, schema, "(root)");
        return problems;

        void Check(JsonNode? v, JsonObject s, string path)
        {
            var actual = TypeOf(v);
            if (s["type"] is { } type)
            {
                var allowed = type is JsonArray a ? a.Select(t => (string)t!).ToArray() : [(string)type!];
                if (!allowed.Any(t => Matches(t, actual, v)))
                {
                    problems.Add($"{path}: {actual}, schema says {string.Join(" or ", allowed)}");
                    return;
                }
            }

            if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, v)))
            {
                problems.Add($"{path}: {v?.ToJsonString()} is not one of {options.ToJsonString()}");
            }

            if (v is JsonObject obj)
            {
                var properties = s["properties"] as JsonObject;
                foreach (var (key, child) in obj)
                {
                    var childPath = path == "(root)" ? key : path + "." + key;
                    if (properties?[key] is JsonObject ps)
                    {
                        Check(child, ps, childPath);
                    }
                    else if (s["additionalProperties"] is JsonObject extra)
                    {
                        Check(child, extra, childPath);
                    }
                    else if (s["additionalProperties"] is JsonValue closed && !(bool)closed)
                    {
                        problems.Add($"{childPath}: not allowed (additionalProperties: false)");
                    }
                }
            }

            if (v is JsonArray arr && s["items"] is JsonObject itemSchema)
            {
                for (var i = 0; i < arr.Count; i++)
                {
                    Check(arr[i], itemSchema, $"{path}[{i}]");
                }
            }
        }
    }

    // Without properties, an object is free-form unless additionalProperties closes it.
    private static bool IsFreeForm(JsonObject s) => s["additionalProperties"] is not JsonValue closed || (bool)closed;

    private static string TypeOf(JsonNode? v) => v switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => "number",
            _ => "unknown",
        },
        _ => "unknown",
    };

    private static bool Matches(string schemaType, string actual, JsonNode? v) => schemaType switch
    {
        // JSON Schema's integer is any number without a fractional part.
        "integer" => actual == "number" && double.Parse(v!.ToJsonString(), CultureInfo.InvariantCulture) % 1 == 0,
        _ => schemaType == actual,
    };
}
