namespace Playground.Cli;

/// <summary>
/// How <c>goplay run</c> exits. A program that ran exits with its own code (0–255, 128+signal
/// for a fatal signal); the playground's own outcomes use codes shells already give a meaning.
/// </summary>
internal static class ExitCodes
{
    public const int Usage = 64;          // EX_USAGE: bad command line
    public const int NoInput = 66;        // EX_NOINPUT: the file cannot be read
    public const int TimeLimit = 124;     // as timeout(1): the run or the build hit its time limit
    public const int BuildFailed = 125;   // the program did not compile (or vet refused it)
    public const int Rejected = 126;      // the server refused the run (busy, too large, invalid)
    public const int Unavailable = 127;   // no server reachable, or it failed internally
    public const int Interrupted = 130;   // Ctrl+C: the run was killed on request (128+SIGINT)
    public const int Killed = 137;        // the sandbox killed it: memory or output limit (128+SIGKILL)
}
