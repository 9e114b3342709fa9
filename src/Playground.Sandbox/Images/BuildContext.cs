using System.Formats.Tar;

namespace Playground.Sandbox.Images;

/// <summary>
/// A Docker build context written as a tar file. Host symlinks are followed and stored as
/// regular files, because the Debian toolchain links parts of GOROOT into /usr/share.
/// </summary>
internal sealed class BuildContext : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly TarWriter _tar;

    public BuildContext()
    {
        var path = Path.Combine(Path.GetTempPath(), "goplay-context-" + Guid.NewGuid().ToString("N") + ".tar");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _tar = new TarWriter(_file, TarEntryFormat.Pax, leaveOpen: true);
    }

    public async Task AddFileAsync(string name, byte[] content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            DataStream = new MemoryStream(content),
        };
        await _tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    public Task AddTextAsync(string name, string text, CancellationToken cancellationToken) =>
        AddFileAsync(name, System.Text.Encoding.UTF8.GetBytes(text), ReadableFile, cancellationToken);

    public async Task AddDirectoryEntryAsync(string name, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.Directory, name.TrimEnd('/') + "/") { Mode = ReadableDirectory };
        await _tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a host file (following symlinks) under the given name, keeping its execute bits.</summary>
    public async Task AddHostFileAsync(string hostPath, string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(hostPath);
        var real = info.LinkTarget is null ? info : (FileInfo?)info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
        var executable = (real.UnixFileMode & UnixFileMode.UserExecute) != 0;
        var stream = real.OpenRead();
        await using (stream.ConfigureAwait(false))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = executable ? ExecutableFile : ReadableFile,
                DataStream = stream,
            };
            await _tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a host directory tree, following symlinks; <paramref name="skip"/> filters relative paths out.</summary>
    public async Task AddHostTreeAsync(string hostDir, string name, Func<string, bool> skip, CancellationToken cancellationToken)
    {
        await AddTreeAsync(hostDir, name, string.Empty, skip, depth: 0, cancellationToken).ConfigureAwait(false);
    }

    private async Task AddTreeAsync(string hostDir, string name, string relative, Func<string, bool> skip, int depth, CancellationToken cancellationToken)
    {
        // Symlinked directories are followed; the depth bound stops a link cycle.
        if (depth > 64)
        {
            throw new SandboxSetupException($"Directory tree too deep (symlink cycle?) at {hostDir}.");
        }

        await AddDirectoryEntryAsync(name, cancellationToken).ConfigureAwait(false);
        var dir = new DirectoryInfo(hostDir);
        foreach (var child in dir.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var childRelative = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
            if (skip(childRelative))
            {
                continue;
            }

            var target = child.LinkTarget is null ? child : child.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !target.Exists)
            {
                continue;
            }

            var childName = name.TrimEnd('/') + "/" + child.Name;
            if (target is DirectoryInfo d)
            {
                await AddTreeAsync(d.FullName, childName, childRelative, skip, depth + 1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AddHostFileAsync(target.FullName, childName, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Finishes the archive and returns a stream over it, positioned at the start.</summary>
    public async Task<Stream> CompleteAsync()
    {
        await _tar.DisposeAsync().ConfigureAwait(false);
        _file.Position = 0;
        return _file;
    }

    public async ValueTask DisposeAsync()
    {
        await _tar.DisposeAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private const UnixFileMode ReadableFile = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableFile = ReadableFile | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode ReadableDirectory = ExecutableFile;
}
