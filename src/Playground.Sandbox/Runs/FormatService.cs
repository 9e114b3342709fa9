using Microsoft.Extensions.Options;
using Playground.Sandbox.Building;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Runs;

/// <summary>Formats Go source in the sandbox's builder (never with a tool on the host).</summary>
public interface IFormatService
{
    /// <summary>
    /// gofmt (or goimports with <paramref name="fixImports"/>) for .go files and go mod edit -fmt
    /// for go.mod files; other files come back unchanged. On a syntax error, <c>Error</c> says
    /// where and <c>Files</c> is null. <paramref name="goVersion"/> chooses the toolchain as
    /// <see cref="RunRequest.GoVersion"/> does; an unknown one is an <c>Error</c>. The job waits
    /// for a tool slot, shared fairly between clients as <see cref="RunInput.ClientId"/> is.
    /// </summary>
    /// <exception cref="SchedulerBusyException">Too many jobs are waiting (overall or for this client).</exception>
    Task<FormatResult> FormatAsync(IReadOnlyDictionary<string, string> files, bool fixImports, string? goVersion, string clientId, CancellationToken cancellationToken);
}

public sealed record FormatResult(IReadOnlyDictionary<string, string>? Files, string Error);

internal sealed class SandboxFormatService(ToolchainCatalog catalog, SandboxReadiness readiness, ToolScheduler scheduler, GoBuilder builder) : IFormatService
{
    public async Task<FormatResult> FormatAsync(IReadOnlyDictionary<string, string> files, bool fixImports, string? goVersion, string clientId, CancellationToken cancellationToken)
    {
        var choice = (await catalog.GetAsync(cancellationToken).ConfigureAwait(false)).Resolve(goVersion);
        if (choice.Toolchain is null)
        {
            return new FormatResult(null, choice.Error!);
        }

        var images = await readiness.EnsureAsync(choice.Toolchain, cancellationToken).ConfigureAwait(false);
        var slot = await scheduler.AcquireAsync(clientId, cancellationToken).ConfigureAwait(false);
        BuildResult result;
        await using (slot.ConfigureAwait(false))
        {
            result = await builder.FormatAsync(images, files, fixImports, cancellationToken).ConfigureAwait(false);
        }

        return result.Status switch
        {
            BuildStatus.Ok when result.Files is not null => new FormatResult(result.Files, ""),
            BuildStatus.Timeout => new FormatResult(null, "timeout formatting the program"),
            BuildStatus.OutOfMemory => new FormatResult(null, "formatting ran out of memory"),
            _ => new FormatResult(null, result.Output),
        };
    }
}

/// <summary>Runs go vet on a program in the sandbox's builder, without running the program.</summary>
public interface IVetService
{
    /// <summary>
    /// Vet's findings, or the compile errors when the program does not build (or why the
    /// requested <paramref name="goVersion"/> is not available, or why a go.mod is refused, as
    /// for a run); empty when clean. The job waits for a tool slot as a format does.
    /// </summary>
    /// <exception cref="SchedulerBusyException">Too many jobs are waiting (overall or for this client).</exception>
    Task<string> VetAsync(IReadOnlyDictionary<string, string> files, string? goVersion, string clientId, CancellationToken cancellationToken);
}

internal sealed class SandboxVetService(ToolchainCatalog catalog, SandboxReadiness readiness, ToolScheduler scheduler, GoBuilder builder, IOptions<SandboxOptions> options) : IVetService
{
    public async Task<string> VetAsync(IReadOnlyDictionary<string, string> files, string? goVersion, string clientId, CancellationToken cancellationToken)
    {
        var installed = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
        var choice = installed.Resolve(goVersion);
        if (choice.Toolchain is null)
        {
            return choice.Error! + "\n";
        }

        // The same go.mod rules as a run: nothing outside the program, no version it cannot have.
        if (RequestOptions.CheckModules(files, choice.Toolchain, installed) is { } badModule)
        {
            return badModule + "\n";
        }

        var images = await readiness.EnsureAsync(choice.Toolchain, cancellationToken).ConfigureAwait(false);
        var slot = await scheduler.AcquireAsync(clientId, cancellationToken).ConfigureAwait(false);
        await using (slot.ConfigureAwait(false))
        {
            var result = await builder.VetAsync(images, files, cancellationToken).ConfigureAwait(false);
            // A vet that did not finish says so: an empty answer would read as "no findings".
            return result.Status switch
            {
                BuildStatus.Ok => result.VetStatus is { } unfinished ? GoBuilder.VetUnfinishedMessage(unfinished, options.Value) : result.VetOutput,
                BuildStatus.BuildError => result.Output,
                BuildStatus.Timeout => GoBuilder.VetUnfinishedMessage("timeout", options.Value),
                BuildStatus.OutOfMemory => GoBuilder.OutOfMemoryMessage("go build", options.Value.BuilderMemoryBytes),
            };
        }
    }
}
