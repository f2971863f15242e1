using PrefLab.Generation;
using PrefLab.Models;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Generation;

/// <summary>Greedy generation through the KV cache (prefill, then one token a step, left-padded batches) equals
/// argmax of a full forward over the growing sequence; a wrong position id or an unmasked pad changes the tokens.</summary>
public class CachedGreedyTests : SingleThreadedTests
{
    const int NewTokens = 16;
    const double Tolerance = 1e-5;

    [Fact]
    public void Cached_greedy_equals_the_uncached_recompute_alone_and_in_a_left_padded_batch()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>(), Tokenizer);
        var batched = generator.Generate(Prompts, GenerationOptions.Greedy(NewTokens) with { BatchSize = Prompts.Length });
        for (int i = 0; i < Prompts.Length; i++)
        {
            var (tokens, logProbs) = GreedyUncached(model, Prompts[i], NewTokens);
            var alone = generator.Generate(new[] { Prompts[i] }, GenerationOptions.Greedy(NewTokens))[0];
            Assert.Equal(tokens, alone.TokenIds);
            Assert.Equal(tokens, batched[i].TokenIds);
            Assert.True(MaxAbsDiff(logProbs, alone.LogProbs) <= Tolerance, $"prompt {i} alone: log-probs");
            Assert.True(MaxAbsDiff(logProbs, batched[i].LogProbs) <= Tolerance, $"prompt {i} in the batch: log-probs");
            Assert.Equal(FinishReason.Length, batched[i].FinishReason);
        }
        // The sequences are not all the same: the comparison has something to compare.
        Assert.True(batched.Sequences.Select(s => string.Join(",", s.TokenIds)).Distinct().Count() >= 3);
    }

    public static IEnumerable<object[]> Architectures => PrefLab.Tests.Models.ModelFixtures.CausalNames.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_architecture_generates_in_a_padded_batch_what_it_recomputes_alone(string name)
    {
        // The reference checkpoints: GPT-2's learned positions, Mistral's window of 4 (passed while decoding),
        // Qwen2's biases, Qwen3's q/k norms.
        using var model = CausalLM.Load(PrefLab.Tests.Models.ModelFixtures.Folder(name));
        int[][] prompts = { new[] { 3, 17, 5, 22, 9, 31, 2 }, new[] { 11, 4, 29 } };
        var batched = new TextGenerator(model, Pad, Array.Empty<int>()).Generate(prompts, GenerationOptions.Greedy(12));
        for (int i = 0; i < prompts.Length; i++)
        {
            var (tokens, logProbs) = GreedyUncached(model, prompts[i], 12);
            Assert.Equal(tokens, batched[i].TokenIds);
            Assert.True(MaxAbsDiff(logProbs, batched[i].LogProbs) <= Tolerance, $"{name}, prompt {i}: log-probs");
        }
    }

    [Fact]
    public void A_wrong_position_id_changes_the_greedy_tokens()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>());
        int differing = 0;
        foreach (var prompt in Prompts)
        {
            var generated = generator.Generate(new[] { prompt }, GenerationOptions.Greedy(NewTokens))[0].TokenIds;
            var (shifted, _) = GreedyUncached(model, prompt, NewTokens, positionShift: 1);
            if (!shifted.SequenceEqual(generated)) differing++;
        }
        Assert.True(differing >= 3, $"only {differing} of {Prompts.Length} prompts changed with a wrong position id");
    }

    [Fact]
    public void Unmasked_left_padding_changes_the_greedy_tokens()
    {
        // Negative control for the mask: the short prompts of a padded batch, generated with the pads visible
        // (a pad prefix of real tokens), differ from what the generator gives them.
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>());
        var batched = generator.Generate(Prompts, GenerationOptions.Greedy(NewTokens) with { BatchSize = Prompts.Length });
        int longest = Prompts.Max(p => p.Length);
        int differing = 0;
        for (int i = 0; i < Prompts.Length; i++)
        {
            if (Prompts[i].Length == longest) continue;
            var padded = Enumerable.Repeat(Pad, longest - Prompts[i].Length).Concat(Prompts[i]).ToArray();
            var (visible, _) = GreedyUncached(model, padded, NewTokens);
            if (!visible.SequenceEqual(batched[i].TokenIds)) differing++;
        }
        Assert.True(differing >= 3, $"only {differing} short prompts changed with visible padding");
    }
}
