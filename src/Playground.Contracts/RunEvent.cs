using System.Text.Json.Serialization;

namespace Playground.Contracts;

/// <summary>One step of a run as clients see it; absent fields are omitted on the wire.</summary>
public sealed record RunEvent
{
    public required RunEventKind Kind { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Position { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Cached { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BuildMs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Data { get; init; }

    /// <summary>
    /// On live stdout and stderr events: exactly the bytes the program wrote behind
    /// <see cref="Data"/>, which is their UTF-8 decoding (invalid bytes read as U+FFFD). Byte
    /// transports send these; JSON transports carry <see cref="Data"/>.
    /// </summary>
    [JsonIgnore]
    public ReadOnlyMemory<byte>? Raw { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? DelayNs { get; init; }

    /// <summary>On the final event: the program had no main and its tests ran (go.dev's <c>IsTest</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool IsTest { get; init; }

    /// <summary>
    /// On the final event of a test run (<see cref="IsTest"/>): how many tests, subtests,
    /// examples and fuzz seeds the test binary reported failed (go.dev's <c>TestsFailed</c>);
    /// 0 when the binary exited 0.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TestsFailed { get; init; }

    /// <summary>
    /// On a vet event: vet did not finish (timed out or ran out of memory; <see cref="Data"/>
    /// says which), so its findings are unknown. An answer holding one is never cached.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool VetUnfinished { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunOutcome? Outcome { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ExitCode { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RunMs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PeakMemoryBytes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BinaryBytes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The chosen Go version is still being prepared; the run waits for it.</summary>
    public static RunEvent Preparing(string message) => new() { Kind = RunEventKind.Preparing, Data = message };

    public static RunEvent Queued(int position) => new() { Kind = RunEventKind.Queued, Position = position };

    public static RunEvent Building() => new() { Kind = RunEventKind.Building };

    public static RunEvent Built(bool cached, long buildMs) => new() { Kind = RunEventKind.Built, Cached = cached, BuildMs = buildMs };

    public static RunEvent Stdout(string data) => new() { Kind = RunEventKind.Stdout, Data = data };

    public static RunEvent Stderr(string data) => new() { Kind = RunEventKind.Stderr, Data = data };

    public static RunEvent Error(RunOutcome outcome, string message, int? retryAfterSeconds = null) =>
        new() { Kind = RunEventKind.Error, Outcome = outcome, Data = message, RetryAfterSeconds = retryAfterSeconds };

    /// <summary>True for the one event that ends every run.</summary>
    [JsonIgnore]
    public bool IsFinal => Kind is RunEventKind.Exit or RunEventKind.Error;
}

[JsonConverter(typeof(KebabCaseEnumConverter<RunEventKind>))]
public enum RunEventKind
{
    Preparing,
    Queued,
    Building,
    Built,
    Vet,
    Stdout,
    Stderr,
    Exit,
    Error,
}

/// <summary>How a run ended. User-program results are values; infrastructure faults surface as <see cref="Internal"/>.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<RunOutcome>))]
public enum RunOutcome
{
    Exited,
    Timeout,
    Oom,
    OutputLimit,
    Killed,
    BuildError,
    BuildTimeout,
    Rejected,
    Internal,
}
