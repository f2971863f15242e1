using PrefLab.Generation;
using PrefLab.Tests.Text;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;

namespace PrefLab.Tests.Generation;

/// <summary>Per-sequence settings in one batch (<see cref="PromptRequest"/>: what a server's batches mix): each
/// sequence gets exactly what a call of its own with those settings gives; top log-probs; the per-token callback.</summary>
public class PromptRequestTests : SingleThreadedTests
{
    static readonly GenerationOptions Sampling = new() { Temperature = 0.9, MaxNewTokens = 10, Seed = 1 };

    [Fact]
    public void Each_sequence_in_a_mixed_batch_equals_its_own_call()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, [Eos], Tokenizer);
        var requests = new[]
        {
            new PromptRequest(Prompts[0]) { Seed = 5, SamplingKey = 0, MaxNewTokens = 3 },
            new PromptRequest(Prompts[1]) { Seed = 6, SamplingKey = 2 },
            new PromptRequest(Prompts[2]) { Seed = 5, SamplingKey = 1, MaxNewTokens = 7 },
            new PromptRequest(Prompts[3]),
        };
        var mixed = generator.Generate(requests, Sampling);
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            // Alone, the call's seed and length are the request's, and its key is its index in a padded list.
            long key = r.SamplingKey ?? i;
            var list = Enumerable.Repeat(Prompts[4], (int)key).Append(r.Ids).ToList();
            var alone = generator.Generate(list, Sampling with { Seed = r.Seed ?? Sampling.Seed, MaxNewTokens = r.MaxNewTokens ?? Sampling.MaxNewTokens })[(int)key];
            Assert.Equal(alone.TokenIds, mixed[i].TokenIds);
            Assert.True(MaxAbsDiff(alone.LogProbs, mixed[i].LogProbs) <= 1e-5, $"sequence {i}");
        }
        Assert.True(mixed[0].Length <= 3);
        Assert.True(mixed[2].Length <= 7);
        // Control: the seed matters.
        var reseeded = generator.Generate([requests[1] with { Seed = 99 }], Sampling)[0];
        Assert.NotEqual(mixed[1].TokenIds, reseeded.TokenIds);
    }

    [Fact]
    public void Stop_strings_apply_per_sequence()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, [Eos], TokenizerFixtures.Load("world"));
        var free = generator.Generate([new PromptRequest(Prompts[1])], GenerationOptions.Greedy(10))[0];
        string stop = free.Text!.Split(' ')[1];
        var both = generator.Generate([new PromptRequest(Prompts[1]) { StopStrings = [stop] }, new PromptRequest(Prompts[1])], GenerationOptions.Greedy(10));
        Assert.Equal(FinishReason.StopString, both[0].FinishReason);
        Assert.Equal(free.TokenIds, both[1].TokenIds);
    }

    [Fact]
    public void Top_log_probs_and_the_token_callback()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, [Eos], Tokenizer);
        var heard = new List<GeneratedToken>();
        var result = generator.Generate(Prompts.Select(p => new PromptRequest(p)).ToList(), GenerationOptions.Greedy(6) with { TopLogProbs = 3 }, onToken: heard.Add);
        for (int i = 0; i < Prompts.Length; i++)
        {
            var s = result[i];
            Assert.Equal(s.Length, s.TopLogProbs!.Count);
            for (int t = 0; t < s.Length; t++)
            {
                var top = s.TopLogProbs[t];
                Assert.Equal(3, top.Length);
                Assert.True(top[0].LogProb >= top[1].LogProb && top[1].LogProb >= top[2].LogProb);
                Assert.Equal(s.TokenIds[t], top[0].TokenId); // greedy: the chosen token is the most likely
                Assert.Equal(s.LogProbs[t], top[0].LogProb, 1e-5);
            }
            var mine = heard.Where(h => h.Prompt == i).ToList();
            Assert.Equal(s.TokenIds, mine.Select(h => h.TokenId).ToArray());
            Assert.Equal(s.LogProbs, mine.Select(h => h.LogProb).ToArray());
            Assert.All(mine[..^1], h => Assert.Null(h.Finished));
            Assert.Same(s, mine[^1].Finished);
        }
        // Without asking, no alternatives.
        Assert.Null(generator.Generate([Prompts[0]], GenerationOptions.Greedy(2))[0].TopLogProbs);
    }
}
