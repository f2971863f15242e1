using System.Text.Json.Nodes;
using Xunit;

namespace PrefLab.Tests.Serving;

/// <summary>Concurrent clients share batches, and each gets exactly what it gets alone: 8 clients x 3 requests with
/// different seeds, lengths, stops and choice counts, compared with the same requests sent one at a time.</summary>
[Collection("Serving")]
public class ConcurrencyTests(ServingFixture serving)
{
    static JsonObject Request(int client, int round) => new()
    {
        ["model"] = ServingFixture.Policy,
        ["messages"] = ChatCompletionTests.Messages(round % 2 == 0 ? "what is the capital of france ?" : "hello"),
        ["max_tokens"] = 4 + (client + round) % 7,
        ["temperature"] = 0.8,
        ["seed"] = client * 10 + round,
        ["n"] = 1 + client % 2,
    };

    static string[] Texts(JsonNode body) => body["choices"]!.AsArray().Select(c => c!["message"]!["content"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Concurrent_requests_get_what_they_get_alone()
    {
        var alone = new Dictionary<(int, int), string[]>();
        for (int c = 0; c < 8; c++)
            for (int r = 0; r < 3; r++)
            {
                var (status, body, text) = await serving.Post("/chat/completions", Request(c, r));
                Assert.True(status == 200, text);
                alone[(c, r)] = Texts(body!);
            }
        long batchesBefore = serving.Server.Loop.Batches, rowsBefore = serving.Server.Loop.BatchedRows;
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var results = new List<((int, int), string[])>();
            for (int r = 0; r < 3; r++)
            {
                var (status, body, text) = await serving.Post("/chat/completions", Request(c, r));
                Assert.True(status == 200, text);
                results.Add(((c, r), Texts(body!)));
            }
            return results;
        })).ToList();
        foreach (var (key, texts) in (await Task.WhenAll(clients)).SelectMany(x => x))
            Assert.Equal(alone[key], texts);
        // Not asserted (timing decides how much gets batched), but visible in a failure message if batching broke.
        long batches = serving.Server.Loop.Batches - batchesBefore, rows = serving.Server.Loop.BatchedRows - rowsBefore;
        Assert.True(rows >= 24, $"{rows} rows in {batches} batches");
    }
}
