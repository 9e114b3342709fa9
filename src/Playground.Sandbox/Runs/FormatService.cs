using Playground.Sandbox.Building;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Runs;

/// <summary>Formats Go source in the sandbox's builder (never with a tool on the host).</summary>
public interface IFormatService
{
    /// <summary>
    /// gofmt (or goimports with <paramref name="fixImports"/>) for .go files and go mod edit -fmt
    /// for go.mod files; other files come back unchanged. On a syntax error, <c>Error</c> says
    /// where and <c>Files</c> is null. <paramref name="goVersion"/> chooses the toolchain as
    /// <see cref="RunRequest.GoVersion"/> does; an unknown one is an <c>Error</c>.
    /// </summary>
    Task<FormatResult> FormatAsync(IReadOnlyDictionary<string, string> files, bool fixImports, string? goVersion, CancellationToken cancellationToken);
}

public sealed record FormatResult(IReadOnlyDictionary<string, string>? Files, string Error);

internal sealed class SandboxFormatService(ToolchainCatalog catalog, SandboxReadiness readiness, GoBuilder builder) : IFormatService
{
    public async Task<FormatResult> FormatAsync(IReadOnlyDictionary<string, string> files, bool fixImports, string? goVersion, CancellationToken cancellationToken)
    {
        var choice = (await catalog.GetAsync(cancellationToken).ConfigureAwait(false)).Resolve(goVersion);
        if (choice.Toolchain is null)
        {
            return new FormatResult(null, choice.Error!);
        }

        var images = await readiness.EnsureAsync(choice.Toolchain, cancellationToken).ConfigureAwait(false);
        var result = await builder.FormatAsync(images, files, fixImports, cancellationToken).ConfigureAwait(false);
        return result.Status switch
        {
            BuildStatus.Ok when result.Files is not null => new FormatResult(result.Files, ""),
            BuildStatus.Timeout => new FormatResult(null, "timeout formatting the program"),
            _ => new FormatResult(null, result.Output),
        };
    }
}

/// <summary>Runs go vet on a program in the sandbox's builder, without running the program.</summary>
public interface IVetService
{
    /// <summary>
    /// Vet's findings, or the compile errors when the program does not build (or why the
    /// requested <paramref name="goVersion"/> is not available); empty when clean.
    /// </summary>
    Task<string> VetAsync(IReadOnlyDictionary<string, string> files, string? goVersion, CancellationToken cancellationToken);
}

internal sealed class SandboxVetService(ToolchainCatalog catalog, SandboxReadiness readiness, GoBuilder builder) : IVetService
{
    public async Task<string> VetAsync(IReadOnlyDictionary<string, string> files, string? goVersion, CancellationToken cancellationToken)
    {
        var choice = (await catalog.GetAsync(cancellationToken).ConfigureAwait(false)).Resolve(goVersion);
        if (choice.Toolchain is null)
        {
            return choice.Error! + "\n";
        }

        var images = await readiness.EnsureAsync(choice.Toolchain, cancellationToken).ConfigureAwait(false);
        var result = await builder.VetAsync(images, files, cancellationToken).ConfigureAwait(false);
        return result.Status == BuildStatus.Ok ? result.VetOutput : result.Output;
    }
}
