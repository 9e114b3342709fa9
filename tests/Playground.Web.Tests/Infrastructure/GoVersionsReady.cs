using System.Text.Json;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>
/// A server prepares its non-default Go versions in the background after start; tests wait
/// for that, so no preparation container runs beside what a test counts or times.
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
            if (versions.All(v => v.GetProperty("state").GetString() != "preparing"))
            {
                return;
            }

            states = string.Join(", ", versions.Select(v => v.GetProperty("version").GetString() + " " + v.GetProperty("state").GetString()));
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Go versions still preparing after {limit}: {states}");
    }
}
