using System.Text.Json;
using System.Text.Json.Serialization;

namespace Playground.Contracts;

/// <summary>Serialises enum members as the contract's kebab-case words (<c>output-limit</c>) in every transport.</summary>
public sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;

/// <summary>The same contract words outside JSON: close reasons, metric and trace tags.</summary>
public static class KebabCase
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
