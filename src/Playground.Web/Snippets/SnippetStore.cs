using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Playground.Web.Snippets;

/// <summary>Shared snippets by ID. IDs are derived from the content, so storing is idempotent.</summary>
public interface ISnippetStore
{
    /// <summary>Stores the snippet (a second put of the same ID keeps the first).</summary>
    Task PutAsync(string id, byte[] body, CancellationToken cancellationToken);

    /// <summary>The snippet, or null when the ID is unknown.</summary>
    Task<byte[]?> GetAsync(string id, CancellationToken cancellationToken);
}

/// <summary>The <c>Snippets</c> configuration section.</summary>
public sealed class SnippetsOptions
{
    public const string SectionName = "Snippets";

    /// <summary>Where the embedded store keeps its database; relative paths are under the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The largest snippet <c>/share</c> accepts, as upstream.</summary>
    public int MaxBytes { get; set; } = 64 * 1024;

    /// <summary>New snippets one client address may store in any hour (a classroom behind one address shares it).</summary>
    public int SharesPerClientPerHour { get; set; } = 120;

    /// <summary>Bytes of new snippets one client address may store in any hour.</summary>
    public long ShareBytesPerClientPerHour { get; set; } = 4L << 20;
}

/// <summary>The upstream playground's snippet ID.</summary>
public static class SnippetId
{
    private static readonly byte[] Salt = "Go playground salt\n"u8.ToArray();

    /// <summary>
    /// URL-safe base64 of SHA-256(salt + body), its first 11 characters, extended while the
    /// last one is '_' (sites do not always linkify a trailing underscore).
    /// </summary>
    public static string For(ReadOnlySpan<byte> body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Salt);
        sha.AppendData(body);
        var encoded = Convert.ToBase64String(sha.GetHashAndReset()).Replace('+', '-').Replace('/', '_');
        var length = 11;
        while (length <= encoded.Length && encoded[length - 1] == '_')
        {
            length++;
        }

        return encoded[..length];
    }

    /// <summary>What an ID can look like; anything else is unknown without a lookup.</summary>
    public static bool IsWellFormed(string id) =>
        id.Length is >= 11 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=');

    internal static string For(string body) => For(Encoding.UTF8.GetBytes(body));
}

/// <summary>The embedded default: one SQLite file in the data folder, written with WAL so reads never wait.</summary>
internal sealed class SqliteSnippetStore : ISnippetStore
{
    private readonly string _connectionString;

    public SqliteSnippetStore(IOptions<SnippetsOptions> options, IHostEnvironment environment)
    {
        var directory = Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);
        Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "snippets.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS snippets (id TEXT PRIMARY KEY, body BLOB NOT NULL, created_utc TEXT NOT NULL);
            """;
        command.ExecuteNonQuery();
    }

    public async Task PutAsync(string id, byte[] body, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO snippets (id, body, created_utc) VALUES ($id, $body, $created)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$body", body);
        command.Parameters.AddWithValue("$created", DateTime.UtcNow.ToString("O"));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM snippets WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Several writers (concurrent shares) wait for each other instead of failing.
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 5000";
        busy.ExecuteNonQuery();
        return connection;
    }
}
