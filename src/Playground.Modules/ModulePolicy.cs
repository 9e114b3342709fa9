namespace Playground.Modules;

/// <summary>
/// Allow and deny lists of module paths, matched as the go command matches GOPRIVATE: each
/// pattern is a glob (path.Match) over leading path elements, so <c>example.com/evil</c> covers
/// <c>example.com/evil/sub</c> and <c>*.corp.example</c> covers every module under such hosts.
/// </summary>
internal static class ModulePolicy
{
    /// <summary>Null when the module may be fetched, else the reason.</summary>
    public static string? Check(string module, ModuleOptions options)
    {
        if (options.Deny.FirstOrDefault(p => Matches(p, module)) is { } denied)
        {
            return $"module {module} is not allowed on this playground (denied by Modules:Deny pattern {denied})";
        }

        if (options.Allow.Count > 0 && !options.Allow.Any(p => Matches(p, module)))
        {
            return $"module {module} is not allowed on this playground (not on the Modules:Allow list)";
        }

        return null;
    }

    public static bool Matches(string pattern, string module)
    {
        var patternParts = pattern.Trim().Trim('/').Split('/');
        var moduleParts = module.Split('/');
        if (patternParts.Length > moduleParts.Length)
        {
            return false;
        }

        for (var i = 0; i < patternParts.Length; i++)
        {
            if (!Glob(patternParts[i], moduleParts[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>path.Match for one element: * (any run), ? (one character), [..] classes left out.</summary>
    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        if (pattern.IsEmpty)
        {
            return text.IsEmpty;
        }

        return pattern[0] switch
        {
            '*' => Glob(pattern[1..], text) || (!text.IsEmpty && Glob(pattern, text[1..])),
            '?' => !text.IsEmpty && Glob(pattern[1..], text[1..]),
            var c => !text.IsEmpty && char.ToLowerInvariant(c) == char.ToLowerInvariant(text[0]) && Glob(pattern[1..], text[1..]),
        };
    }
}
