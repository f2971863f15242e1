using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Models.Layers;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Common;

/// <summary>
/// Chunked log-probs (<see cref="ChunkedLogProbs"/>, <see cref="ModelLogProbs"/>) against the full-logits path:
/// the same values and gradients to 1e-5 for chunk sizes that do and do not divide the positions, at temperature 1
/// and 0.7, tied and untied heads, padded batches; and the scope stays flat across chunked backward passes.
/// </summary>
public class ChunkedLogProbsTests
{
    public ChunkedLogProbsTests() => TorchRuntime.EnsureLoaded();

    const double Tolerance = 1e-5;

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(3, 1.0)]
    [InlineData(5, 0.7)]
    [InlineData(13, 0.7)]
    [InlineData(64, 1.0)]
    public void Chunked_gather_matches_the_full_logits_in_value_and_gradient(int chunk, double temperature)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var hidden = randn(new long[] { 13, 8 }, generator: generator).requires_grad_(true);      // [N, H]
        var weight = randn(new long[] { 29, 8 }, generator: generator).requires_grad_(true);      // [V, H]
        var labels = randint(0, 29, new long[] { 13 }, dtype: ScalarType.Int64, generator: generator); // [N]
        var upstream = randn(new long[] { 13 }, generator: generator);                           // [N]: any downstream gradient

        var full = TokenLogProbs.Gather(hidden.mm(weight.t()).unsqueeze(0), labels.unsqueeze(0), temperature).squeeze(0);
        (full * upstream).sum().backward();
        var (fullHidden, fullWeight) = (hidden.grad!.clone(), weight.grad!.clone());
        hidden.grad!.zero_();
        weight.grad!.zero_();

        var chunked = ChunkedLogProbs.Gather(hidden, weight, labels, temperature, chunk, new ComputePrecision());
        (chunked * upstream).sum().backward();
        Assert.True(MaxAbsDiff(full, chunked) < Tolerance, $"values differ by {MaxAbsDiff(full, chunked)}");
        Assert.True(MaxAbsDiff(fullHidden, hidden.grad!) < Tolerance, $"hidden gradients differ by {MaxAbsDiff(fullHidden, hidden.grad!)}");
        Assert.True(MaxAbsDiff(fullWeight, weight.grad!) < Tolerance, $"weight gradients differ by {MaxAbsDiff(fullWeight, weight.grad!)}");
        Assert.True(MaxAbsDiff(fullHidden, zeros_like(fullHidden)) > 1e-3); // the gradients are not trivially zero
    }

    [Theory]
    [InlineData("tiny-test", 1)]
    [InlineData("tiny-test", 4)]
    [InlineData("mistral-tiny", 3)]
    [InlineData("qwen3-tiny", 100)]
    public void Completion_log_probs_and_parameter_gradients_agree_chunked_and_unchunked(string preset, int chunk)
    {
        using var model = CausalLM.Create(ModelPresets.Create(preset, new TokenizerFacts(40, 1, 2, 0)), seed: 3);
        using var scope = NewDisposeScope();
        var (ids, mask) = Batch(new[] { new long[] { 5, 6, 7, 8, 9, 10, 11 }, new long[] { 12, 13, 14, 15 }, new long[] { 3, 4, 5, 6, 7, 8 } }, left: false);
        var completion = mask.clone();
        completion.narrow(1, 0, 2).zero_();                                                      // the prompt: two tokens each

        var (fullSums, fullGrads) = SumsAndGradients(model, () => ModelLogProbs.OfCompletion(model, ids, mask, completion, 1.0, LogitChunking.Off));
        var (chunkedSums, chunkedGrads) = SumsAndGradients(model, () => ModelLogProbs.OfCompletion(model, ids, mask, completion, 1.0, LogitChunking.Every(chunk)));
        Assert.True(MaxAbsDiff(fullSums, chunkedSums) < Tolerance, $"log-probs differ by {MaxAbsDiff(fullSums, chunkedSums)}");
        foreach (var (name, grad) in fullGrads)
            Assert.True(MaxAbsDiff(grad, chunkedGrads[name]) < Tolerance, $"{name}: gradients differ by {MaxAbsDiff(grad, chunkedGrads[name])}");
    }

    [Fact]
    public void Response_log_probs_agree_at_the_sampling_temperature_with_left_padded_prompts()
    {
        using var model = CausalLM.Create(ModelPresets.Create("tiny-test", new TokenizerFacts(40, 1, 2, 0)), seed: 5);
        using var scope = NewDisposeScope();
        var (prompt, promptMask) = Batch(new[] { new long[] { 5, 6, 7 }, new long[] { 8, 9 } }, left: true);        // [2, 3]
        var (response, responseMask) = Batch(new[] { new long[] { 10, 11, 12, 13 }, new long[] { 14, 15 } }, left: false); // [2, 4]
        var ids = cat(new[] { prompt, response }, 1);
        var attention = cat(new[] { promptMask, responseMask }, 1);
        Tensor Run(LogitChunking chunking) => PolicyForward.ResponseLogProbs(model, ids, attention, response, responseMask, 0.7, chunking);
        var (full, fullGrads) = SumsAndGradients(model, () => new CompletionLogProbs(Run(LogitChunking.Off), responseMask));
        var (chunked, chunkedGrads) = SumsAndGradients(model, () => new CompletionLogProbs(Run(LogitChunking.Every(3)), responseMask));
        Assert.True(MaxAbsDiff(full, chunked) < Tolerance);
        foreach (var (name, grad) in fullGrads) Assert.True(MaxAbsDiff(grad, chunkedGrads[name]) < Tolerance, name);
        using var noGrad = no_grad();
        Assert.True(MaxAbsDiff(Run(LogitChunking.Off), Run(LogitChunking.Every(2))) < Tolerance); // the no-gradient path
    }

    [Fact]
    public void Chunked_backward_leaves_no_tensors_behind()
    {
        using var model = CausalLM.Create(ModelPresets.Create("tiny-test", new TokenizerFacts(40, 1, 2, 0)), seed: 3);
        var (ids, mask) = Batch(new[] { new long[] { 5, 6, 7, 8, 9 }, new long[] { 12, 13, 14 } }, left: false);
        AssertBackwardLeavesNoTensors(model, ids, mask, LogitChunking.Every(2));
        ids.Dispose();
        mask.Dispose();
    }

    [Fact]
    public void Auto_chunks_only_large_logits_and_the_option_parses()
    {
        Assert.Null(LogitChunking.Auto.TokensPerChunk(16 * 256, 512));                      // World models: never
        Assert.Equal(55, LogitChunking.Auto.TokensPerChunk(4 * 512, 151_936));              // Qwen2.5: 8 Mi / 151,936
        Assert.Null(LogitChunking.Off.TokensPerChunk(4 * 512, 151_936));
        Assert.Equal(7, LogitChunking.Every(7).TokensPerChunk(10, 40));
        Assert.Equal(LogitChunking.Auto, LogitChunking.Parse("auto"));
        Assert.Equal(LogitChunking.Off, LogitChunking.Parse("OFF"));
        Assert.Equal(LogitChunking.Every(128), LogitChunking.Parse("128"));
        Assert.Equal("128", LogitChunking.Parse("128").ToString());
        var error = Assert.Throws<UserError>(() => LogitChunking.Parse("0"));
        Assert.Contains("--logits-chunk", error.Message);
    }

    // Summed log-probs per row and every parameter's gradient of their sum (a non-uniform weighting of the rows).
    static (Tensor Sums, Dictionary<string, Tensor> Grads) SumsAndGradients(CausalLM model, Func<CompletionLogProbs> run)
    {
        model.zero_grad();
        var result = run();
        var sums = Sequences.LogProb(result.LogProbs.to_type(ScalarType.Float64), result.Mask);                // [B]
        (sums * arange(1, sums.shape[0] + 1, dtype: ScalarType.Float64)).sum().backward();
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();
        return (sums.detach(), grads);
    }
}
