using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using OpenAI;
using OpenAI.Chat;

namespace PrefLab.Tests.Serving;

/// <summary>
/// A load of chat completions through the official OpenAI client: <c>clients</c> concurrent loops of
/// <c>requests</c> each, every fourth streamed, the rest greedy or seeded samples (what each request is depends on
/// its client and round, so a run can be checked against the same request sent alone). The client never retries,
/// so a failed request is counted, not hidden.
/// </summary>
public sealed class ChatLoad(string url, string apiKey, string model, string question, int maxTokens)
{
    public sealed record Reply(int Client, int Round, string Text, int OutputTokens, double Seconds);

    public sealed record Report(IReadOnlyList<Reply> Replies, IReadOnlyList<string> Errors, double WallSeconds)
    {
        public long OutputTokens => Replies.Sum(r => (long)r.OutputTokens);
        public double TokensPerSecond => OutputTokens / WallSeconds;
        public double RequestsPerSecond => Replies.Count / WallSeconds;
        public double LatencyPercentile(double p)
        {
            var sorted = Replies.Select(r => r.Seconds).Order().ToArray();
            if (sorted.Length == 0) return double.NaN;
            // Nearest rank: the smallest latency at least p of the requests do not exceed.
            int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }

        public override string ToString() =>
            $"{Replies.Count} requests ({Errors.Count} errors) in {WallSeconds:F2} s: latency p50 {LatencyPercentile(50) * 1000:F0} ms, " +
            $"p99 {LatencyPercentile(99) * 1000:F0} ms; {OutputTokens} completion tokens, {TokensPerSecond:F0} tokens/s, {RequestsPerSecond:F1} requests/s";
    }

    /// <summary>Whether request (client, round) is streamed, greedy, or sampled with its own seed.</summary>
    public static bool Streamed(int client, int round) => (client + round) % 4 == 0;
    public static bool Greedy(int client, int round) => (client + round) % 4 == 1;

    public ChatClient Client() => new(model, new ApiKeyCredential(apiKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(url),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromMinutes(2),
    });

    public ChatCompletionOptions Options(int client, int round)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = maxTokens };
        if (Greedy(client, round)) options.Temperature = 0f;
        else
        {
            options.Temperature = 0.8f;
#pragma warning disable OPENAI001 // Seed is marked experimental in the client; the server implements it.
            options.Seed = client * 1000L + round;
#pragma warning restore OPENAI001
        }
        return options;
    }

    /// <summary>One request, as (client, round) of the load sends it.</summary>
    public async Task<Reply> Send(ChatClient chat, int client, int round)
    {
        var options = Options(client, round);
        ChatMessage[] messages = [new UserChatMessage(question)];
        var clock = Stopwatch.StartNew();
        if (!Streamed(client, round))
        {
            var reply = (await chat.CompleteChatAsync(messages, options)).Value;
            return new Reply(client, round, reply.Content.Count > 0 ? reply.Content[0].Text : "", reply.Usage.OutputTokenCount, clock.Elapsed.TotalSeconds);
        }
        var text = new System.Text.StringBuilder();
        int tokens = 0;
        bool finished = false;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            if (update.FinishReason is not null) finished = true;
            if (update.Usage is { } usage) tokens = usage.OutputTokenCount;
        }
        if (!finished) throw new InvalidOperationException($"stream of ({client}, {round}) ended without a finish reason");
        if (tokens == 0) throw new InvalidOperationException($"stream of ({client}, {round}) reported no usage");
        return new Reply(client, round, text.ToString(), tokens, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs <paramref name="clients"/> concurrent clients of <paramref name="requests"/> sequential requests each.</summary>
    public async Task<Report> Run(int clients, int requests)
    {
        var chat = Client();
        var replies = new List<Reply>();
        var errors = new List<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (int r = 0; r < requests; r++)
            {
                try
                {
                    var reply = await Send(chat, c, r);
                    lock (replies) replies.Add(reply);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add($"({c}, {r}): {e.GetType().Name}: {e.Message}");
                }
            }
        })));
        return new Report(replies, errors, clock.Elapsed.TotalSeconds);
    }
}
