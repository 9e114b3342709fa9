namespace Playground.Contracts;

/// <summary>
/// What a client sends on <c>/ws/v1/run</c>, one JSON text frame each: <c>run</c> with a
/// request, <c>stdin</c> with text, <c>stdin-close</c> (EOF), <c>kill</c>. The server answers
/// with <see cref="RunEvent"/>s.
/// </summary>
public sealed record RunSocketMessage(string? Type, RunRequest? Request = null, string? Data = null)
{
    public const string Run = "run";
    public const string Stdin = "stdin";
    public const string StdinClose = "stdin-close";
    public const string Kill = "kill";

    public static RunSocketMessage Start(RunRequest request) => new(Run, request);

    public static RunSocketMessage Input(string text) => new(Stdin, Data: text);

    public static RunSocketMessage EndOfInput { get; } = new(StdinClose);

    public static RunSocketMessage KillRun { get; } = new(Kill);
}
