using System.Net;
using System.Text;

namespace Playground.Web.Tests.Observability;

/// <summary>
/// The receiving end of OTLP over HTTP (protobuf): accepts what an exporter posts to
/// <c>/v1/traces</c> and decodes the spans' ids, names and string attributes from the wire
/// format (the few fields of trace.proto these tests read).
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<Span> _spans = [];
    private readonly Task _loop;

    public OtlpReceiver()
    {
        var port = Infrastructure.WebProcess.FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public sealed record Span(string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

    public IReadOnlyList<Span> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _ = _loop;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                var spans = ParseExport(body.ToArray());
                lock (_spans)
                {
                    _spans.AddRange(spans);
                }
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { repeated ScopeSpans scope_spans = 2; }  ScopeSpans { repeated Span spans = 2; }
    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; }
    // KeyValue { string key = 1; AnyValue value = 2; }  AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; }
    private static List<Span> ParseExport(byte[] message)
    {
        var spans = new List<Span>();
        foreach (var resource in Fields(message).Where(f => f.Number == 1))
        {
            foreach (var scope in Fields(resource.Bytes).Where(f => f.Number == 2))
            {
                foreach (var span in Fields(scope.Bytes).Where(f => f.Number == 2))
                {
                    spans.Add(ParseSpan(span.Bytes));
                }
            }
        }

        return spans;
    }

    private static Span ParseSpan(byte[] span)
    {
        string trace = "", id = "", parent = "", name = "";
        var attributes = new Dictionary<string, string>();
        foreach (var f in Fields(span))
        {
            switch (f.Number)
            {
                case 1: trace = Convert.ToHexStringLower(f.Bytes); break;
                case 2: id = Convert.ToHexStringLower(f.Bytes); break;
                case 4: parent = Convert.ToHexStringLower(f.Bytes); break;
                case 5: name = Encoding.UTF8.GetString(f.Bytes); break;
                case 9:
                    var kv = Fields(f.Bytes).ToList();
                    var key = Encoding.UTF8.GetString(kv.First(x => x.Number == 1).Bytes);
                    var value = kv.FirstOrDefault(x => x.Number == 2).Bytes is { } any ? Fields(any).FirstOrDefault() : default;
                    attributes[key] = value.Number switch
                    {
                        1 => Encoding.UTF8.GetString(value.Bytes),
                        2 or 3 => value.Varint.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => "",
                    };
                    break;
            }
        }

        return new Span(trace, id, parent, name, attributes);
    }

    private readonly record struct Field(int Number, byte[] Bytes, ulong Varint);

    private static IEnumerable<Field> Fields(byte[] data)
    {
        var i = 0;
        while (i < data.Length)
        {
            var tag = ReadVarint(data, ref i);
            var number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    yield return new Field(number, [], ReadVarint(data, ref i));
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(data, ref i);
                    yield return new Field(number, data[i..(i + length)], 0);
                    i += length;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at {i}");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
