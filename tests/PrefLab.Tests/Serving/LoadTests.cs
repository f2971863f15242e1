using Xunit;
using Xunit.Abstractions;

namespace PrefLab.Tests.Serving;

/// <summary>
/// 32 concurrent OpenAI clients x 20 chat completions each (a quarter streamed) against the tiny policy: no request
/// fails, the requests share batches, every greedy reply is the greedy reply sent alone, and client 0's seeded and
/// streamed replies are what they are alone. Prints p50/p99 latency and tokens/s (the bench's <c>serve</c> runs the
/// same load on a World-sized model).
/// </summary>
[Collection("Serving")]
public class LoadTests(ServingFixture serving, ITestOutputHelper output)
{
    const int Clients = 32, Requests = 20, MaxTokens = 8;
    const string Question = "what is the capital of france ?";

    [Fact]
    public async Task Thirty_two_clients_by_twenty_requests_all_succeed_and_share_batches()
    {
        var load = new ChatLoad(serving.Url, ServingFixture.ApiKey, ServingFixture.Policy, Question, MaxTokens);
        var chat = load.Client();
        var greedyAlone = await load.Send(chat, 0, 1);
        Assert.True(ChatLoad.Greedy(0, 1));
        var clientZeroAlone = new List<ChatLoad.Reply>();
        for (int r = 0; r < Requests; r++) clientZeroAlone.Add(await load.Send(chat, 0, r));

        long batchesBefore = serving.Server.Loop.Batches, rowsBefore = serving.Server.Loop.BatchedRows;
        var report = await load.Run(Clients, Requests);
        long batches = serving.Server.Loop.Batches - batchesBefore, rows = serving.Server.Loop.BatchedRows - rowsBefore;
        output.WriteLine($"serve load, tiny policy, {Clients} clients x {Requests} requests, max_tokens {MaxTokens}: {report}");
        output.WriteLine($"  {rows} sequences in {batches} batches ({(double)rows / Math.Max(batches, 1):F1} a batch); machine: {Environment.ProcessorCount} cores");

        Assert.True(report.Errors.Count == 0, string.Join("\n", report.Errors.Take(10)));
        Assert.Equal(Clients * Requests, report.Replies.Count);
        Assert.All(report.Replies, r => Assert.InRange(r.OutputTokens, 1, MaxTokens));
        Assert.Equal(Clients * Requests, rows);
        Assert.True(rows >= 2 * batches, $"{rows} sequences in {batches} batches: concurrent requests were not batched");
        foreach (var reply in report.Replies.Where(r => ChatLoad.Greedy(r.Client, r.Round)))
            Assert.Equal(greedyAlone.Text, reply.Text);
        foreach (var reply in report.Replies.Where(r => r.Client == 0).OrderBy(r => r.Round))
        {
            var alone = clientZeroAlone[reply.Round];
            Assert.Equal(alone.Text, reply.Text);
            Assert.Equal(alone.OutputTokens, reply.OutputTokens);
        }
        // The sampled replies are not all one text (the seeds reach the sampler).
        Assert.True(report.Replies.Where(r => !ChatLoad.Greedy(r.Client, r.Round)).Select(r => r.Text).Distinct().Count() > 5);
        Assert.True(report.LatencyPercentile(50) <= report.LatencyPercentile(99));
    }
}
