using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Playground.Sandbox;

namespace Playground.Web.Api;

/// <summary>A decoded <c>/compile</c> request: the program, whether to vet it, and the response shape asked for.</summary>
internal sealed record CompileRequest(string Body, bool WithVet, bool Version2);

/// <summary>
/// Reads <c>/compile</c> requests as the official playground accepts them: form fields
/// (<c>body</c>, <c>withVet</c>, <c>version</c>) in the query or a form body, or a JSON object
/// with case-insensitive keys and unknown fields ignored, whatever the Content-Type says.
/// </summary>
internal static class CompileRequestReader
{
    /// <summary>The largest request body the API routes read: the largest source as form-encoded text.</summary>
    public static long MaxRequestBytes(SandboxOptions options) => options.MaxSourceBytes * 3 + 4096;

    /// <summary>Reads a <c>/compile</c>-style request, or answers 413 or 400 itself and returns null.</summary>
    public static async Task<CompileRequest?> ReadOrRejectAsync(HttpContext http, SandboxOptions options)
    {
        CompileRequest? request;
        try
        {
            request = await ReadAsync(http.Request, MaxRequestBytes(options), http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ApiText.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large\n");
            return null;
        }

        if (request is null)
        {
            await ApiText.WriteAsync(http, StatusCodes.Status400BadRequest, "Bad Request\n");
        }

        return request;
    }

    /// <summary>Null when the request cannot be decoded (400); throws <see cref="BadHttpRequestException"/> with 413 when too large.</summary>
    public static async Task<CompileRequest?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var raw = await ReadBodyAsync(request, maxBytes, cancellationToken);
        var contentType = request.ContentType ?? "";
        if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            request.Body = new MemoryStream(raw);
            var form = await request.ReadFormAsync(cancellationToken);
            return FromFields(key => form.TryGetValue(key, out var v) ? v.ToString() : request.Query[key].ToString());
        }

        var text = Encoding.UTF8.GetString(raw);
        var isForm = contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (isForm || !string.IsNullOrEmpty(request.Query["body"]))
        {
            var fields = isForm ? QueryHelpers.ParseQuery(text) : [];
            return FromFields(key => fields.TryGetValue(key, out var v) ? v.ToString() : request.Query[key].ToString());
        }

        return FromJson(text) ?? FromLooseForm(text);
    }

    /// <summary>
    /// Form fields, as upstream reads them: an empty <c>body</c> is no request (upstream then
    /// decodes the already-read body as JSON and answers 400), and <c>withVet</c> is what Go's
    /// strconv.ParseBool calls true.
    /// </summary>
    private static CompileRequest? FromFields(Func<string, string> field)
    {
        var body = field("body");
        return body.Length == 0 ? null : new CompileRequest(body, GoTrue(field("withVet")), field("version") == "2");
    }

    /// <summary>Go's strconv.ParseBool: these are true; "false" and its forms, and anything it refuses, are not.</summary>
    private static bool GoTrue(string value) => value is "1" or "t" or "T" or "TRUE" or "true" or "True";

    /// <summary>Like Go's encoding/json into a struct: keys match case-insensitively, others are ignored.</summary>
    private static CompileRequest? FromJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? body = null;
            var withVet = false;
            var version2 = false;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.NameEquals("body") || string.Equals(property.Name, "body", StringComparison.OrdinalIgnoreCase))
                {
                    if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        return null;
                    }

                    body = property.Value.GetString();
                }
                else if (string.Equals(property.Name, "withVet", StringComparison.OrdinalIgnoreCase))
                {
                    if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                    {
                        return null;
                    }

                    withVet = property.Value.ValueKind == JsonValueKind.True;
                }
                else if (string.Equals(property.Name, "version", StringComparison.OrdinalIgnoreCase))
                {
                    version2 = property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var v) && v == 2;
                }
            }

            return new CompileRequest(body ?? "", withVet, version2);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A form body sent without its Content-Type (curl -d with a wrong header, say).</summary>
    private static CompileRequest? FromLooseForm(string text)
    {
        if (!text.StartsWith("body=", StringComparison.Ordinal) && !text.Contains("&body=", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = QueryHelpers.ParseQuery(text);
        return FromFields(key => fields.TryGetValue(key, out var v) ? v.ToString() : "");
    }

    internal static async Task<byte[]> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
