using System.Runtime.CompilerServices;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Runs;

/// <summary>
/// Counts every run by how it ended, around the pipeline rather than inside it: each final
/// event is counted once whichever path produced it (the pipeline's own, a failure's, a
/// refusal at shutdown), and a run whose client left before its final event is counted as
/// <c>abandoned</c>.
/// </summary>
internal sealed class MeteredRunService(SandboxRunService inner, SandboxMetrics metrics) : IRunService
{
    public async IAsyncEnumerable<RunEvent> RunAsync(RunRequest request, RunInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var counted = false;
        try
        {
            await foreach (var e in inner.RunAsync(request, input, cancellationToken).ConfigureAwait(false))
            {
                if (e.IsFinal && !counted)
                {
                    counted = true;
                    metrics.RunFinished(e.Outcome ?? RunOutcome.Internal, input.Transport);
                }

                yield return e;
            }
        }
        finally
        {
            if (!counted)
            {
                metrics.RunAbandoned(input.Transport);
            }
        }
    }
}
