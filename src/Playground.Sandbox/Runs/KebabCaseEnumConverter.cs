using System.Text.Json;
using System.Text.Json.Serialization;

namespace Playground.Sandbox.Runs;

/// <summary>Serialises enum members as the contract's kebab-case words (<c>output-limit</c>) in every transport.</summary>
public sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
