using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Playground.Web.Hosting;

/// <summary>
/// The console lifetime (SIGTERM, SIGINT, SIGQUIT, its start-up and shutdown messages), except
/// that a signal drains the server (<see cref="ServerShutdown.DrainAsync"/>) before it stops
/// the application.
/// </summary>
/// <remarks>
/// The console lifetime answers a signal with <c>StopApplication</c>, which fires
/// ApplicationStopping, and with it SignalR's callback that aborts every hub connection, before
/// the host calls any service's <c>StoppingAsync</c>: the runs' last events would be lost. Here
/// its <c>StopApplication</c> starts the drain and stops the application when the drain is
/// over. Nothing waits on a thread meanwhile: the signal handler returns at once (the process
/// stays up, as it does with the console lifetime alone) and the host's stop follows.
/// </remarks>
internal sealed class DrainingConsoleLifetime : IHostLifetime, IDisposable
{
    private readonly ConsoleLifetime _console;

    public DrainingConsoleLifetime(
        IOptions<ConsoleLifetimeOptions> options,
        IHostEnvironment environment,
        IHostApplicationLifetime applicationLifetime,
        IOptions<HostOptions> hostOptions,
        ILoggerFactory loggerFactory,
        ServerShutdown shutdown)
    {
        _console = new ConsoleLifetime(options, environment, new DrainFirst(applicationLifetime, shutdown), hostOptions, loggerFactory);
    }

    /// <summary>Puts this lifetime in place of the console lifetime, when that is the host's.</summary>
    public static void Replace(IServiceCollection services)
    {
        var current = services.LastOrDefault(d => d.ServiceType == typeof(IHostLifetime));
        // Another lifetime (systemd, a Windows service, a test host) has its own stop; left as it is.
        if (current?.ImplementationType == typeof(ConsoleLifetime))
        {
            // The host builds its lifetime when it is built, and with this one the run pipeline
            // and its instruments. The meter provider must be listening first: the series that
            // start at zero (Add(0) at creation) were missing from /metrics otherwise.
            services.AddSingleton<IHostLifetime>(sp =>
            {
                sp.GetService<OpenTelemetry.Metrics.MeterProvider>();
                return ActivatorUtilities.CreateInstance<DrainingConsoleLifetime>(sp);
            });
        }
    }

    public Task WaitForStartAsync(CancellationToken cancellationToken) => _console.WaitForStartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _console.StopAsync(cancellationToken);

    public void Dispose() => _console.Dispose();

    /// <summary>The application's lifetime as the console lifetime sees it: its stop drains first.</summary>
    private sealed class DrainFirst(IHostApplicationLifetime inner, ServerShutdown shutdown) : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => inner.ApplicationStarted;

        public CancellationToken ApplicationStopping => inner.ApplicationStopping;

        public CancellationToken ApplicationStopped => inner.ApplicationStopped;

        public void StopApplication() => _ = StopAfterDrainAsync();

        private async Task StopAfterDrainAsync()
        {
            // The drain does not fail and is bounded by half the host's shutdown timeout.
            await shutdown.DrainAsync().ConfigureAwait(false);
            inner.StopApplication();
        }
    }
}
