using System.Text.Json;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>
/// A server prepares its non-default Go versions (and then vet's facts) in the background
/// after start; tests wait for all of it, so no preparation container runs beside what a test
/// counts or times.
/// </summary>
internal static class GoVersionsReady
{
    public static async Task WaitAsync(HttpClient http, Uri baseAddress, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        string states;
        do
        {
            var body = JsonDocument.Parse(await http.GetStringAsync(new Uri(baseAddress, "/versions"))).RootElement;
            var versions = body.GetProperty("versions").EnumerateArray().ToList();
            var warming = body.GetProperty("warming").GetBoolean();
            if (!warming && versions.All(v => v.GetProperty("state").GetString() != "preparing"))
            {
                return;
            }

            states = string.Join(", ", versions.Select(v => v.GetProperty("version").GetString() + " " + v.GetProperty("state").GetString())) + (warming ? "; still warming" : "");
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Go versions still preparing after {limit}: {states}");
    }
}
