using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Building;

/// <summary>
/// Built binaries by content: the key hashes the files, the toolchain (builder image), build
/// tags and mode, so the same program is built once. Bounded by bytes; the least recently
/// used binaries are evicted first.
/// </summary>
internal sealed class BinaryCache(IOptions<SandboxOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public static string Key(IReadOnlyDictionary<string, string> files, string builderImage, IReadOnlyList<string> tags, string mode)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            // Length-prefixed, so no two different inputs hash the same bytes.
            var bytes = Encoding.UTF8.GetBytes(s);
            sha.AppendData(BitConverter.GetBytes(bytes.Length));
            sha.AppendData(bytes);
        }

        Add(builderImage);
        Add(mode);
        Add(string.Join(',', tags));
        foreach (var (name, body) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            Add(name);
            Add(body);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public bool TryGet(string key, out byte[] binary) => TryGet(key, out binary, out _);

    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="binary">The cached binary.</param>
    /// <param name="isTest">Whether it is a test binary (a program without main, built with go test -c).</param>
    public bool TryGet(string key, out byte[] binary, out bool isTest)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                binary = node.Value.Binary;
                isTest = node.Value.IsTest;
                return true;
            }
        }

        binary = [];
        isTest = false;
        return false;
    }

    public void Add(string key, byte[] binary, bool isTest = false)
    {
        var capacity = options.Value.BinaryCacheBytes;
        if (binary.Length > capacity)
        {
            return;
        }

        lock (_gate)
        {
            if (_entries.ContainsKey(key))
            {
                return;
            }

            _entries[key] = _recency.AddFirst(new Entry(key, binary, isTest));
            _bytes += binary.Length;
            while (_bytes > capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Binary.Length;
            }
        }
    }

    private sealed record Entry(string Key, byte[] Binary, bool IsTest);
}
