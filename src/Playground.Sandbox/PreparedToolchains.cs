using Playground.Sandbox.Images;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox;

/// <summary>
/// The toolchains that are ready to build and run, as <see cref="SandboxReadiness"/> publishes
/// them. The pools fill from here instead of asking readiness, which needs the builder, which
/// needs the builder pool: this breaks that cycle without a service locator.
/// </summary>
internal sealed class PreparedToolchains
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (Toolchain Toolchain, SandboxImageSet Images)> _ready = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<SandboxImageSet> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private event Action<Toolchain, SandboxImageSet>? Prepared;

    /// <summary>
    /// Calls <paramref name="handler"/> for every toolchain that is ready now and for each one
    /// that becomes ready later; a toolchain may be reported more than once.
    /// </summary>
    public void OnPrepared(Action<Toolchain, SandboxImageSet> handler)
    {
        (Toolchain, SandboxImageSet)[] ready;
        lock (_gate)
        {
            Prepared += handler;
            ready = [.. _ready.Values];
        }

        foreach (var (toolchain, images) in ready)
        {
            handler(toolchain, images);
        }
    }

    /// <summary>
    /// The images of the first toolchain that became ready, once there is one. Every toolchain
    /// shares the runner image, so this is what the runner pool needs.
    /// </summary>
    public Task<SandboxImageSet> FirstAsync(CancellationToken cancellationToken) => _first.Task.WaitAsync(cancellationToken);

    public void Publish(Toolchain toolchain, SandboxImageSet images)
    {
        Action<Toolchain, SandboxImageSet>? prepared;
        lock (_gate)
        {
            _ready[toolchain.Version] = (toolchain, images);
            prepared = Prepared;
        }

        _first.TrySetResult(images);
        prepared?.Invoke(toolchain, images);
    }
}
