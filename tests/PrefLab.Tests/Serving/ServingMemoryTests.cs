using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Serving.Inference;
using Xunit;

namespace PrefLab.Tests.Serving;

/// <summary>Serving leaves no tensors behind: the inference thread's live tensor count is the same after rounds of
/// every kind of request (chat with top log-probs, streamed, several prompts with n and stops, echo scoring,
/// rewards, and a request that fails in the loop) as after the first round.</summary>
[Collection("Serving")]
public class ServingMemoryTests(ServingFixture serving)
{
    /// <summary>Reads the live tensor count on the inference thread (the count is per thread).</summary>
    sealed class LiveTensorProbe : Work
    {
        readonly TaskCompletionSource<long> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<long> Count => done.Task;
        public override int Rows => 1;
        public override object BatchKey => this;
        public override bool IsDone => done.Task.IsCompleted;
        public override void Fail(Exception error) => done.TrySetException(error);
        public override void RunBatch(IReadOnlyList<Work> group, int maxBatch) => done.TrySetResult(LiveTensors.Count);
    }

    async Task<long> LiveOnLoop()
    {
        var probe = new LiveTensorProbe();
        serving.Server.Loop.Enqueue(probe);
        return await probe.Count;
    }

    async Task Round(int seed)
    {
        var messages = ChatCompletionTests.Messages();
        async Task Ok(string path, JsonObject body)
        {
            var (status, _, text) = await serving.Post(path, body);
            Assert.True(status == 200, text);
        }
        var requests = new List<Task>
        {
            Ok("/chat/completions", new() { ["model"] = ServingFixture.Policy, ["messages"] = messages.DeepClone(), ["max_tokens"] = 6, ["logprobs"] = true, ["top_logprobs"] = 3, ["seed"] = seed }),
            Ok("/chat/completions", new() { ["model"] = ServingFixture.Policy, ["messages"] = messages.DeepClone(), ["max_tokens"] = 5, ["stream"] = true, ["n"] = 2, ["seed"] = seed }),
            Ok("/completions", new() { ["model"] = ServingFixture.Policy, ["prompt"] = new JsonArray("hello", "paris is"), ["n"] = 2, ["max_tokens"] = 6, ["stop"] = "?", ["seed"] = seed, ["temperature"] = 0.7, ["top_p"] = 0.9 }),
            Ok("/completions", new() { ["model"] = ServingFixture.Policy, ["prompt"] = "what is the capital of france ?", ["echo"] = true, ["logprobs"] = 2, ["max_tokens"] = 0 }),
            Ok("/rewards", new() { ["model"] = ServingFixture.Reward, ["messages"] = new JsonArray(messages[0]!.DeepClone(), new JsonObject { ["role"] = "assistant", ["content"] = "paris ." }) }),
        };
        await Task.WhenAll(requests);
        // A reward request too long for the model fails inside the loop (400), leaving nothing behind either.
        var (status, _, _) = await serving.Post("/rewards", new JsonObject
        {
            ["model"] = ServingFixture.Reward,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = string.Join(' ', Enumerable.Repeat("paris", 400)) },
                new JsonObject { ["role"] = "assistant", ["content"] = "paris ." }),
        });
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Live_tensors_on_the_inference_thread_stay_flat_across_requests()
    {
        await Round(0); // warm-up: lazily created tensors
        long before = await LiveOnLoop();
        for (int seed = 1; seed <= 3; seed++) await Round(seed);
        Assert.Equal(before, await LiveOnLoop());
    }
}
