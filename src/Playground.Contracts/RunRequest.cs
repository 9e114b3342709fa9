using System.Text.Json.Serialization;

namespace Playground.Contracts;

/// <summary>What a client asks to run: files (or one source text, possibly txtar) and options.</summary>
public sealed record RunRequest
{
    /// <summary>File name to content; a single <c>prog.go</c> or several files with an optional <c>go.mod</c>.</summary>
    public IReadOnlyDictionary<string, string>? Files { get; init; }

    /// <summary>A single Go file or a txtar archive; used when <see cref="Files"/> is absent.</summary>
    public string? Source { get; init; }

    public RunMode Mode { get; init; } = RunMode.Live;

    public bool WithVet { get; init; }

    public string? GoVersion { get; init; }

    public IReadOnlyList<string>? BuildFlags { get; init; }

    public IReadOnlyList<string>? Args { get; init; }
}

/// <summary>How a program runs: with the real clock and interactive stdin, or deterministic playback.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<RunMode>))]
public enum RunMode
{
    Live,
    Playback,
}
