using PrefLab.Generation;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Generation;

/// <summary>Temperature, top-k, top-p and EOS suppression on crafted scores with hand-computed kept sets
/// (Hugging Face's semantics: ties with the k-th kept; top-p keeps the most probable tokens until the mass
/// reaches p, at least one), and the inverse-transform sampler's distribution.</summary>
public class LogitsProcessorTests
{
    static Tensor Row(params double[] values) => tensor(values.Select(v => (float)v).ToArray()).unsqueeze(0);

    static int[] Kept(Tensor scores) =>
        Enumerable.Range(0, (int)scores.shape[1]).Where(i => !float.IsNegativeInfinity(scores[0, i].item<float>())).ToArray();

    static Tensor LogProbabilities(params double[] p) => Row(p.Select(x => Math.Log(x)).ToArray());

    [Fact]
    public void Top_k_keeps_the_k_highest_and_every_tie_with_the_kth()
    {
        using var scope = NewDisposeScope();
        var scores = Row(1.0, 3.0, 2.0, 3.0, 0.5, 2.0);
        Assert.Equal(new[] { 1, 3 }, Kept(LogitsProcessors.TopK(scores, 2)));
        Assert.Equal(new[] { 1, 3 }, Kept(LogitsProcessors.TopK(scores, 1)));         // the tie at the top survives
        Assert.Equal(new[] { 1, 2, 3, 5 }, Kept(LogitsProcessors.TopK(scores, 3)));   // 4 kept: the 3rd ties the 4th
        Assert.Equal(new[] { 0, 1, 2, 3, 5 }, Kept(LogitsProcessors.TopK(scores, 5)));
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, Kept(LogitsProcessors.TopK(scores, 10))); // k > V: nothing removed
        Assert.Equal(new[] { 1, 2, 3, 5 }, Kept(LogitsProcessors.TopK(scores, 1, minTokensToKeep: 3)));
        // Kept scores are unchanged.
        Assert.Equal(3.0f, LogitsProcessors.TopK(scores, 2)[0, 3].item<float>());
    }

    [Fact]
    public void Top_p_keeps_the_smallest_most_probable_set_reaching_p()
    {
        using var scope = NewDisposeScope();
        // Probabilities 0.15, 0.5, 0.05, 0.3 (ids 0..3). Ascending: id2 .05, id0 .15, id3 .30, id1 .50;
        // cumulative .05 .20 .50 1.0; removed where cumulative <= 1 - p.
        var scores = LogProbabilities(0.15, 0.5, 0.05, 0.3);
        Assert.Equal(new[] { 1 }, Kept(LogitsProcessors.TopP(scores, 0.45)));        // .5 alone reaches .45
        Assert.Equal(new[] { 1, 3 }, Kept(LogitsProcessors.TopP(scores, 0.55)));
        Assert.Equal(new[] { 1, 3 }, Kept(LogitsProcessors.TopP(scores, 0.75)));
        Assert.Equal(new[] { 0, 1, 3 }, Kept(LogitsProcessors.TopP(scores, 0.9)));
        Assert.Equal(new[] { 0, 1, 2, 3 }, Kept(LogitsProcessors.TopP(scores, 1.0)));
        Assert.Equal(new[] { 1 }, Kept(LogitsProcessors.TopP(scores, 0.01)));       // at least one token
        Assert.Equal(new[] { 0, 1, 3 }, Kept(LogitsProcessors.TopP(scores, 0.01, minTokensToKeep: 3)));
        // Ties: four tokens of .25; p = .6 needs three; the stable ascending sort removes the lowest id first.
        Assert.Equal(new[] { 1, 2, 3 }, Kept(LogitsProcessors.TopP(Row(1, 1, 1, 1), 0.6)));
        // Rows are independent.
        var two = cat(new[] { LogProbabilities(0.15, 0.5, 0.05, 0.3), LogProbabilities(0.05, 0.15, 0.3, 0.5) }, 0);
        var both = LogitsProcessors.TopP(two, 0.75);
        Assert.True(float.IsNegativeInfinity(both[1, 1].item<float>()) && float.IsNegativeInfinity(both[1, 0].item<float>()));
        Assert.False(float.IsNegativeInfinity(both[1, 2].item<float>()) || float.IsNegativeInfinity(both[1, 3].item<float>()));
    }

    [Fact]
    public void The_chain_runs_temperature_then_top_k_then_top_p()
    {
        using var scope = NewDisposeScope();
        // p = .4 .3 .2 .1. Top-k 3 renormalises to .444 .333 .222; top-p .75 then removes .222 (cumulative .222 <= .25).
        // Top-p before top-k would keep ids 0..2 (cumulative .1 <= .25 removes only id 3).
        var scores = LogProbabilities(0.4, 0.3, 0.2, 0.1);
        var options = new GenerationOptions { Temperature = 1.0, TopK = 3, TopP = 0.75 };
        Assert.Equal(new[] { 0, 1 }, Kept(LogitsProcessors.Apply(scores, options, Array.Empty<int>(), suppressEos: false)));
        // EOS suppression comes first and only while asked.
        Assert.Equal(new[] { 1, 2 }, Kept(LogitsProcessors.Apply(scores, options, new[] { 0 }, suppressEos: true)));
        Assert.Equal(new[] { 0, 1, 2, 3 }, Kept(LogitsProcessors.Apply(scores, GenerationOptions.Greedy(), new[] { 0 }, suppressEos: false)));
        Assert.Equal(new[] { 1, 2, 3 }, Kept(LogitsProcessors.Apply(scores, GenerationOptions.Greedy(), new[] { 0 }, suppressEos: true)));
    }

    [Fact]
    public void Temperature_scales_the_distribution_as_softmax_of_logits_over_T()
    {
        using var scope = NewDisposeScope();
        double[] logits = { 1.0, -0.5, 2.0, 0.25 };
        foreach (double t in new[] { 0.5, 0.7, 1.0, 2.0 })
        {
            var processed = LogitsProcessors.Apply(Row(logits), new GenerationOptions { Temperature = t }, Array.Empty<int>(), false);
            var probabilities = processed.softmax(-1).to_type(ScalarType.Float64).data<double>().ToArray();
            double z = logits.Sum(l => Math.Exp(l / t));
            for (int i = 0; i < logits.Length; i++)
                Assert.True(Math.Abs(probabilities[i] - Math.Exp(logits[i] / t) / z) < 1e-6, $"T={t} id {i}");
        }
        // And the sampler draws them in those proportions: stratified uniforms (j + 1/2) / N hit each token a
        // number of times within 1 of N p.
        const int n = 10_000;
        var tempered = LogitsProcessors.Apply(Row(logits), new GenerationOptions { Temperature = 0.7 }, Array.Empty<int>(), false);
        var drawn = TokenSampler.Sample(tempered.expand(n, -1), tensor(Enumerable.Range(0, n).Select(j => (j + 0.5) / n).ToArray()));
        var counts = bincount(drawn, minlength: logits.Length).data<long>().ToArray();
        double z07 = logits.Sum(l => Math.Exp(l / 0.7));
        for (int i = 0; i < logits.Length; i++)
            Assert.True(Math.Abs(counts[i] - n * Math.Exp(logits[i] / 0.7) / z07) <= 1.0, $"id {i}: {counts[i]}");
    }

    [Fact]
    public void The_sampler_never_draws_a_removed_token_even_at_the_ends_of_the_unit_interval()
    {
        using var scope = NewDisposeScope();
        double ninf = double.NegativeInfinity;
        var scores = cat(new[] { Row(ninf, 0.0, ninf, 1.0, ninf), Row(ninf, 0.0, ninf, 1.0, ninf) }, 0);
        var low = TokenSampler.Sample(scores, tensor(new[] { 0.0, 1.0 - Math.Pow(2, -53) })).data<long>().ToArray();
        Assert.Equal(new long[] { 1, 3 }, low);
        // A one-token distribution always gives that token.
        var only = TokenSampler.Sample(Row(ninf, ninf, 5.0), tensor(new[] { 0.999 })).item<long>();
        Assert.Equal(2, only);
    }
}
