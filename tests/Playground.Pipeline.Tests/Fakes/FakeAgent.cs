using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Playground.Pipeline.Tests.Fakes;

/// <summary>
/// The build agent of a fake builder: reads JSON requests from stdin as the real agent does
/// (Images/agent/main.go), "compiles" <see cref="FakeProgram"/> directives into a fake binary
/// and answers with the agent's frame: <c>uint32 len | JSON | [uint64 size | binary]</c>.
/// </summary>
internal static partial class FakeAgent
{
    public static async Task<long> ServeAsync(FakeContainer container, bool serve, CancellationToken kill)
    {
        var pending = new MemoryStream();
        while (true)
        {
            var request = await ReadRequestAsync(container.Stream, pending, kill).ConfigureAwait(false);
            if (request is null)
            {
                return 0;
            }

            var (head, binary) = await AnswerAsync(container, request, kill).ConfigureAwait(false);
            container.Answered++;
            container.Stream.Write(true, Frame(head, binary));
            if (!serve)
            {
                return 0;
            }
        }
    }

    private static async Task<JsonObject?> ReadRequestAsync(FakeStream stream, MemoryStream pending, CancellationToken kill)
    {
        while (true)
        {
            var bytes = pending.ToArray();
            if (bytes.Length > 0 && TryTakeValue(bytes, out var consumed))
            {
                pending.SetLength(0);
                pending.Write(bytes.AsSpan((int)consumed));
                return JsonNode.Parse(bytes.AsSpan(0, (int)consumed))!.AsObject();
            }

            var piece = await stream.ReadInputAsync(1 << 16, kill).ConfigureAwait(false);
            if (piece.Length == 0)
            {
                return null;
            }

            pending.Write(piece);
        }
    }

    private static bool TryTakeValue(byte[] bytes, out long consumed)
    {
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        consumed = 0;
        if (!reader.Read() || !reader.TrySkip())
        {
            return false;
        }

        consumed = reader.BytesConsumed;
        return true;
    }

    private static async Task<(JsonObject Head, byte[] Binary)> AnswerAsync(FakeContainer container, JsonObject request, CancellationToken kill)
    {
        if (request["warm"]?.GetValue<bool>() == true)
        {
            return (new JsonObject { ["status"] = "ok", ["output"] = "warm" }, []);
        }

        var files = request["files"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
            ?? new Dictionary<string, string>(StringComparer.Ordinal);
        if (request["fmt"] is not null)
        {
            return Format(files);
        }

        var faketime = request["tags"]?.AsArray().Any(t => (string?)t == "faketime") == true;
        var program = FakeProgram.Parse(files, faketime);
        if (program.BuildSleep > TimeSpan.Zero)
        {
            await Task.Delay(program.BuildSleep, kill).ConfigureAwait(false);
        }

        if (program.CompilerOom)
        {
            container.OomKilled = true;
            return (new JsonObject { ["status"] = "oom", ["output"] = "signal: killed" }, []);
        }

        if (program.BuildError is { } error)
        {
            return (new JsonObject { ["status"] = "build-error", ["output"] = error }, []);
        }

        var head = new JsonObject { ["status"] = "ok", ["output"] = "", ["via"] = "compiler", ["test"] = program.IsTest };
        if (request["vet"]?.GetValue<bool>() == true)
        {
            head["vet"] = program.Vet ?? "";
        }

        return (head, program.Binary);
    }

    /// <summary>Enough of gofmt to see it ran: trailing blanks go, four leading spaces become a tab.</summary>
    private static (JsonObject Head, byte[] Binary) Format(Dictionary<string, string> files)
    {
        var formatted = new JsonObject();
        foreach (var (name, body) in files)
        {
            if (FakeProgram.Directive(body, "fmt-error") is { } message)
            {
                return (new JsonObject { ["status"] = "build-error", ["output"] = name + ":" + message }, []);
            }

            formatted[name] = name.EndsWith(".go", StringComparison.Ordinal)
                ? string.Join('\n', body.Split('\n').Select(l => LeadingSpaces().Replace(l.TrimEnd(' ', '\t', '\r'), m => new string('\t', m.Length / 4))))
                : body;
        }

        return (new JsonObject { ["status"] = "ok", ["output"] = "", ["files"] = formatted }, []);
    }

    private static byte[] Frame(JsonObject head, byte[] binary)
    {
        var json = Encoding.UTF8.GetBytes(head.ToJsonString());
        using var frame = new MemoryStream();
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)json.Length);
        frame.Write(number[..4]);
        frame.Write(json);
        if ((string?)head["status"] == "ok")
        {
            BinaryPrimitives.WriteUInt64BigEndian(number, (ulong)binary.Length);
            frame.Write(number);
            frame.Write(binary);
        }

        return frame.ToArray();
    }

    [GeneratedRegex("^(    )+")]
    private static partial Regex LeadingSpaces();
}
