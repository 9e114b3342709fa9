using System.Threading.Channels;

namespace Playground.Sandbox.Runs;

/// <summary>
/// One run as it moves through the pipeline (validate → admit → build → execute → finalize):
/// who asked and what, where its events go, what is removed after its final event, and the
/// run's one way to be stopped. <see cref="Stop"/> ends every stage; it fires when the client
/// leaves (<see cref="Abandoned"/>), the user kills the run, or the server stops, and
/// <see cref="KilledByUser"/> tells the last two apart for the message.
/// </summary>
internal sealed class RunContext : IDisposable
{
    private readonly CancellationTokenSource _kill;
    private readonly CancellationTokenSource _stop;

    public RunContext(string runId, RunRequest request, RunInput input, ChannelWriter<RunEvent> events, RunCleanup cleanup, CancellationToken serverStopping, CancellationToken abandoned)
    {
        RunId = runId;
        Request = request;
        Input = input;
        Events = events;
        Cleanup = cleanup;
        Abandoned = abandoned;
        _kill = CancellationTokenSource.CreateLinkedTokenSource(input.Kill, serverStopping);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(abandoned, _kill.Token);
    }

    public string RunId { get; }

    public RunRequest Request { get; }

    public RunInput Input { get; }

    /// <summary>Where the run's events go; a test run's are counted on the way (<see cref="TestFailureCounter"/>).</summary>
    public ChannelWriter<RunEvent> Events { get; set; }

    public RunCleanup Cleanup { get; }

    /// <summary>The client is gone: nothing more is delivered, and the run is torn down.</summary>
    public CancellationToken Abandoned { get; }

    /// <summary>The user's kill or the server's stop: the run ends with a final event that says which.</summary>
    public CancellationToken Killed => _kill.Token;

    /// <summary>Any of the three: what every stage waits on.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Whether <see cref="Stop"/> fired for a kill or a stop rather than a client that left.</summary>
    public bool StoppedOnPurpose => _kill.IsCancellationRequested && !Abandoned.IsCancellationRequested;

    public bool KilledByUser => Input.Kill.IsCancellationRequested;

    public void Dispose()
    {
        _stop.Dispose();
        _kill.Dispose();
    }
}
