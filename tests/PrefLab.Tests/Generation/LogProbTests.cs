using PrefLab.Generation;
using PrefLab.Models.LogProbs;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Generation;

/// <summary>The log-probs generation reports equal what PPO's training forward computes for the same tokens:
/// TokenLogProbs.Gather over model.forward(prompt + response) at the same temperature, through the
/// <see cref="ResponseBatch"/> layout (left-padded prompts, right-padded responses). Tolerance 1e-5 (float32).</summary>
public class LogProbTests : SingleThreadedTests
{
    const double Tolerance = 1e-5;

    static double MaxDifferenceFromTrainingForward(Tensor logits, ResponseBatch batch, double temperature)
    {
        using var scope = NewDisposeScope();
        var training = TokenLogProbs.Gather(batch.ResponseLogits(logits), batch.ResponseIds, batch.ResponseMask, temperature); // [B, R]
        return (training - batch.LogProbs).abs().max().item<float>();
    }

    [Theory]
    [InlineData(0.7)]
    [InlineData(1.0)]
    public void Sampled_log_probs_equal_the_training_forward_at_the_same_temperature(double temperature)
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, new[] { Eos, 21 }); // "." ends some sequences early
        var result = generator.Generate(Prompts, new GenerationOptions { Temperature = temperature, MaxNewTokens = 14, Seed = 4, BatchSize = 2 });
        Assert.True(result.Sequences.Select(s => s.Length).Distinct().Count() >= 2, "responses of different lengths (right padding used)");
        Assert.Equal(temperature, result.LogProbTemperature);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = result.ToBatch();
        var logits = model.forward(batch.InputIds, batch.AttentionMask); // [B, P + R, V]
        double difference = MaxDifferenceFromTrainingForward(logits, batch, temperature);
        Assert.True(difference <= Tolerance, $"T={temperature}: max |generation - training| = {difference:E2}");
        // Negative control: another temperature is visibly different.
        Assert.True(MaxDifferenceFromTrainingForward(logits, batch, temperature * 1.5) > 1e-3);
        // The layout: prompts end where responses begin; padding holds the pad id and log-prob 0.
        for (int b = 0; b < result.Count; b++)
        {
            var s = result[b];
            Assert.Equal(s.PromptIds.Length, batch.PromptMask[b].sum().item<long>());
            Assert.Equal(s.Length, batch.ResponseMask[b].sum().item<long>());
            Assert.Equal(s.PromptIds[^1], batch.PromptIds[b, batch.PromptLength - 1].item<long>());
            Assert.Equal(s.TokenIds[0], batch.ResponseIds[b, 0].item<long>());
            if (s.Length < batch.ResponseLength)
            {
                Assert.Equal(Pad, batch.ResponseIds[b, s.Length].item<long>());
                Assert.Equal(0f, batch.LogProbs[b, s.Length].item<float>());
            }
            Assert.Equal(s.FinishReason == FinishReason.Eos, batch.HasEos[b].item<bool>());
        }
    }

    [Fact]
    public void Greedy_log_probs_are_at_temperature_one()
    {
        using var model = Model();
        var result = new TextGenerator(model, Pad, new[] { Eos }).Generate(Prompts, GenerationOptions.Greedy(10));
        Assert.Equal(1.0, result.LogProbTemperature);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = result.ToBatch();
        var logits = model.forward(batch.InputIds, batch.AttentionMask);
        Assert.True(MaxDifferenceFromTrainingForward(logits, batch, 1.0) <= Tolerance);
    }

    [Fact]
    public void With_top_k_the_log_probs_stay_those_of_the_untruncated_tempered_distribution()
    {
        using var model = Model();
        const double temperature = 0.7;
        var result = new TextGenerator(model, Pad, Array.Empty<int>())
            .Generate(Prompts, new GenerationOptions { Temperature = temperature, TopK = 3, MaxNewTokens = 8, Seed = 9 });
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = result.ToBatch();
        var logits = model.forward(batch.InputIds, batch.AttentionMask);
        Assert.True(MaxDifferenceFromTrainingForward(logits, batch, temperature) <= Tolerance);
        // Control: the truncated (behaviour) distribution gives every token a higher log-prob.
        var responseLogits = batch.ResponseLogits(logits);
        var shape = responseLogits.shape;
        var truncated = LogitsProcessors.TopK(responseLogits.reshape(-1, shape[2]).div(temperature), 3).log_softmax(-1)
            .gather(-1, batch.ResponseIds.reshape(-1, 1)).reshape(shape[0], shape[1]);
        var gap = (truncated - batch.LogProbs).masked_select(batch.ResponseMask);
        Assert.True(gap.min().item<float>() > 1e-4, "top-k raises the sampled token's probability");
        // Every sampled token is among the top 3 (ties included) at its step.
        var (top, _) = responseLogits.topk(3, -1);
        var chosen = responseLogits.gather(-1, batch.ResponseIds.unsqueeze(-1)).squeeze(-1);
        Assert.True(chosen.ge(top.narrow(-1, 2, 1).squeeze(-1)).masked_select(batch.ResponseMask).all().item<bool>());
    }
}
