using PrefLab.Generation;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;

namespace PrefLab.Tests.Generation;

/// <summary>Seeded sampling: reproducible, seed-dependent, and independent of the batch a prompt lands in (batch
/// size, companions, finished rows dropped or kept).</summary>
public class BatchAndSamplingTests : SingleThreadedTests
{
    const double Tolerance = 1e-5;
    static GenerationOptions Sampling(long seed) => new() { Temperature = 1.0, MaxNewTokens = 12, Seed = seed };

    [Fact]
    public void Same_seed_same_tokens_other_seed_other_tokens()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>());
        var first = generator.Generate(Prompts, Sampling(7));
        var again = generator.Generate(Prompts, Sampling(7));
        var other = generator.Generate(Prompts, Sampling(8));
        int changed = 0;
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(first[i].TokenIds, again[i].TokenIds);
            Assert.Equal(first[i].LogProbs, again[i].LogProbs);
            if (!first[i].TokenIds.SequenceEqual(other[i].TokenIds)) changed++;
        }
        Assert.Equal(Prompts.Length, changed);
        // Sampling is not greedy here: the draws differ from the argmax path.
        var greedy = generator.Generate(Prompts, GenerationOptions.Greedy(12));
        Assert.Contains(Enumerable.Range(0, Prompts.Length), i => !greedy[i].TokenIds.SequenceEqual(first[i].TokenIds));
    }

    [Fact]
    public void A_sequence_samples_the_same_whatever_its_batch()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>());
        var together = generator.Generate(Prompts, Sampling(3) with { BatchSize = Prompts.Length });
        var oneByOne = generator.Generate(Prompts, Sampling(3) with { BatchSize = 1 });
        var pairs = generator.Generate(Prompts, Sampling(3) with { BatchSize = 2 });
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(oneByOne[i].TokenIds, together[i].TokenIds);
            Assert.Equal(oneByOne[i].TokenIds, pairs[i].TokenIds);
            Assert.True(MaxAbsDiff(oneByOne[i].LogProbs, together[i].LogProbs) <= Tolerance, $"prompt {i}");
        }
        // Prompt 0 keeps its place with other companions (the sampling key is the index in the call).
        var otherCompanions = generator.Generate(new[] { Prompts[0], Prompts[3], Prompts[3] }, Sampling(3));
        Assert.Equal(together[0].TokenIds, otherCompanions[0].TokenIds);
        // Control: at another index the same prompt draws other tokens.
        var moved = generator.Generate(new[] { Prompts[3], Prompts[0] }, Sampling(3));
        Assert.NotEqual(together[0].TokenIds, moved[1].TokenIds);
    }

    [Fact]
    public void Dropping_finished_rows_gives_the_tokens_of_keeping_them_with_pad()
    {
        using var model = Model();
        // Some EOS ids the model does produce, so rows finish at different steps.
        var free = new TextGenerator(model, Pad, Array.Empty<int>()).Generate(Prompts, Sampling(5));
        var eos = free.Sequences.Select(s => s.TokenIds[2]).Distinct().Take(2).ToArray();
        var generator = new TextGenerator(model, Pad, eos);
        var dropped = generator.Generate(Prompts, Sampling(5));
        var kept = generator.Generate(Prompts, Sampling(5) with { DropFinishedRows = false });
        Assert.Contains(dropped.Sequences, s => s.FinishReason == FinishReason.Eos);
        Assert.True(dropped.Sequences.Select(s => s.Length).Distinct().Count() >= 2, "rows finish at different steps");
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(kept[i].TokenIds, dropped[i].TokenIds);
            Assert.Equal(kept[i].FinishReason, dropped[i].FinishReason);
            Assert.True(MaxAbsDiff(kept[i].LogProbs, dropped[i].LogProbs) <= Tolerance, $"prompt {i}");
        }
    }

    [Fact]
    public void The_sampling_stream_is_uniform_and_keyed_by_sequence_and_step()
    {
        var stream = new SamplingStream(11);
        const int n = 200_000, buckets = 20;
        var counts = new int[buckets];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double u = stream.Uniform(i % 1000, i / 1000);
            Assert.True(u >= 0 && u < 1, $"{u}");
            sum += u;
            counts[(int)(u * buckets)]++;
        }
        Assert.InRange(sum / n, 0.5 - 0.003, 0.5 + 0.003); // 4.6 standard errors
        double expected = (double)n / buckets;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 50, $"chi-square {chiSquare:F1} with 19 degrees of freedom"); // p < 2e-4
        Assert.Equal(new SamplingStream(11).Uniform(3, 4), stream.Uniform(3, 4));
        Assert.NotEqual(stream.Uniform(3, 4), stream.Uniform(4, 3));
        Assert.NotEqual(stream.Uniform(3, 4), new SamplingStream(12).Uniform(3, 4));
    }

    [Fact]
    public void Bad_options_name_the_option()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, new[] { Eos });
        void Refused(GenerationOptions options, string option)
        {
            var error = Assert.Throws<UserError>(() => generator.Generate(Prompts, options));
            Assert.Contains(option, error.Message);
        }
        Refused(new() { MaxNewTokens = 0 }, "--max-new-tokens");
        Refused(new() { MinNewTokens = 5, MaxNewTokens = 4 }, "--min-new-tokens");
        Refused(new() { Temperature = -1 }, "--temperature");
        Refused(new() { TopK = 0 }, "--top-k");
        Refused(new() { TopP = 1.5 }, "--top-p");
        Refused(GenerationOptions.Greedy() with { TopP = 0.9 }, "--top-p");
        Refused(new() { BatchSize = 0 }, "--batch-size");
        Assert.Throws<ArgumentException>(() => generator.Generate(Prompts, new() { StopStrings = new[] { "." } })); // no tokenizer
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new[] { new[] { 2, 99 } }, new()));
    }
}
