using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.Ppo;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class PpoMathTests
{
    public PpoMathTests() => Load();

    [Fact]
    public void Response_end_covers_tokens_through_the_first_eos_even_when_pad_equals_eos()
    {
        using var scope = NewDisposeScope();
        // EOS = 2 and pad = 2 (Llama-style): only the first 2 ends the response.
        var ids = Ids(new long[,] { { 5, 7, 2, 2, 2 }, { 5, 6, 7, 8, 9 }, { 4, 2, 2, 2, 2 } });
        var end = RewardShaping.FindEnd(ids, 2);
        Assert.Equal(new[] { true, true, true, false, false, true, true, true, true, true, true, true, false, false, false },
            end.Mask.data<bool>().ToArray());
        Assert.Equal(new[] { true, false, true }, end.HasEos.data<bool>().ToArray());
        // Several EOS ids (e.g. Llama 3's <|eot_id|> and <|end_of_text|>).
        var two = RewardShaping.FindEnd(Ids(new long[,] { { 3, 9, 1, 1 } }), 1, 9);
        Assert.Equal(new[] { true, true, false, false }, two.Mask.data<bool>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float32, KlEstimatorKind.K1)]
    [InlineData(ScalarType.Float64, KlEstimatorKind.K1)]
    [InlineData(ScalarType.Float64, KlEstimatorKind.K3)]
    public void Shaped_rewards_put_the_score_on_the_eos_and_the_penalty_exactly_where_eos_is_missing(ScalarType dtype, KlEstimatorKind estimator)
    {
        using var scope = NewDisposeScope();
        double[,] logp = { { -0.5, -1.0, -0.2, 99.0, 99.0 }, { -0.1, -0.3, -2.0, -0.7, -0.4 }, { -1.5, -0.05, 7.0, 7.0, 7.0 } };
        double[,] refLogp = { { -0.7, -0.8, -0.2, -5.0, 3.0 }, { -0.2, -0.3, -1.0, -0.9, -0.1 }, { -1.0, -0.10, 0.0, 0.0, 0.0 } };
        bool[,] mask = { { true, true, true, false, false }, { true, true, true, true, true }, { true, true, false, false, false } };
        double[] scores = { 1.5, 0.7, 3.0 };
        bool[] hasEos = { true, false, true };
        const double beta = 0.05;
        var shaped = RewardShaping.Shape(Vec(dtype, scores), Mat(dtype, logp), Mat(dtype, refLogp), BoolMat(mask), tensor(hasEos), beta, estimator);

        // Scalar reference: r_t = -β kl_t on response tokens, + score (or -10 without EOS) at the last one.
        int[] lastIndex = { 2, 4, 1 };
        var expected = new double[15];
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < 5; t++)
            {
                if (!mask[b, t]) continue;
                double kl = estimator == KlEstimatorKind.K1 ? logp[b, t] - refLogp[b, t] : K3(logp[b, t], refLogp[b, t]);
                expected[b * 5 + t] = -beta * kl + (t == lastIndex[b] ? (hasEos[b] ? scores[b] : -10.0) : 0.0);
            }
        Close(expected, Values(shaped.Rewards), dtype, "rewards");
        Assert.Equal(new long[] { 2, 4, 1 }, shaped.LastIndex.data<long>().ToArray());
        Close(new[] { 1.5, -10.0, 3.0 }, Values(shaped.Scores), dtype, "scores");
        // Row 0 under k1: kl = [0.2, -0.2, 0]; r = [-0.01, 0.01, 1.5].
        if (estimator == KlEstimatorKind.K1)
            Close(new[] { -0.01, 0.01, 1.5 }, Values(shaped.Rewards).Take(3).ToArray(), dtype, "row 0 by hand");
    }

    [Fact]
    public void Shaped_rewards_ignore_masked_log_probs()
    {
        using var scope = NewDisposeScope();
        var mask = BoolMat(new[,] { { true, true, false } });
        var a = RewardShaping.Shape(Vec(ScalarType.Float64, 1.0), Mat(ScalarType.Float64, new[,] { { -0.5, -1.0, 3.0 } }),
            Mat(ScalarType.Float64, new[,] { { -0.7, -0.8, -9.0 } }), mask, tensor(new[] { true }), 0.1);
        var b = RewardShaping.Shape(Vec(ScalarType.Float64, 1.0), Mat(ScalarType.Float64, new[,] { { -0.5, -1.0, double.NaN } }),
            Mat(ScalarType.Float64, new[,] { { -0.7, -0.8, 12.0 } }), mask, tensor(new[] { true }), 0.1);
        Assert.Equal(Values(a.Rewards), Values(b.Rewards));
        Assert.Equal(0.0, Values(a.Rewards)[2]);
    }

    [Fact]
    public void Adaptive_kl_controller_follows_Ziegler_et_al()
    {
        var controller = new AdaptiveKlController(initialValue: 0.2, target: 6.0, horizon: 10000);
        // KL 12: error clip(12/6 - 1) = clip(1) = 0.2; β = 0.2 (1 + 0.2 · 256 / 10000) = 0.201024.
        controller.Update(12.0, 256);
        Assert.Equal(0.201024, controller.Value, 15);
        // KL 6.6: error 0.1; β ×= 1 + 0.1 · 100 / 10000 = 1.001.
        controller.Update(6.6, 100);
        Assert.Equal(0.201024 * 1.001, controller.Value, 15);
        // KL 0: error clip(-1) = -0.2; β ×= 1 - 0.2 · 500 / 10000 = 0.99.
        controller.Update(0.0, 500);
        Assert.Equal(0.201024 * 1.001 * 0.99, controller.Value, 15);
        var fixedController = new FixedKlController(0.05);
        fixedController.Update(100.0, 64);
        Assert.Equal(0.05, fixedController.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveKlController(0.2, 0.0, 10000));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Gae_golden_on_a_small_masked_batch_loop_and_vectorised(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Masked positions hold garbage (99, 42) that must not leak.
        var rewards = Mat(dtype, new[,] { { 0.0, 0.0, 1.0 }, { 0.2, 1.0, 99.0 } });
        var values = Mat(dtype, new[,] { { 0.5, 0.6, 0.7 }, { 0.1, 0.3, 42.0 } });
        var mask = Mat(dtype, new[,] { { 1.0, 1.0, 1.0 }, { 1.0, 1.0, 0.0 } });
        // γ = 1, λ = 0.95. Row 0: δ = [0 + 0.6 - 0.5, 0 + 0.7 - 0.6, 1 + 0 - 0.7] = [0.1, 0.1, 0.3];
        //   Â2 = 0.3, Â1 = 0.1 + 0.95 · 0.3 = 0.385, Â0 = 0.1 + 0.95 · 0.385 = 0.46575; R = Â + V = [0.96575, 0.985, 1.0].
        // Row 1: δ = [0.2 + 0.3 - 0.1, 1.0 + 0 - 0.3] = [0.4, 0.7]; Â1 = 0.7, Â0 = 0.4 + 0.95 · 0.7 = 1.065; R = [1.165, 1.0].
        double[] advantages = { 0.46575, 0.385, 0.3, 1.065, 0.7, 0.0 };
        double[] returns = { 0.96575, 0.985, 1.0, 1.165, 1.0, 0.0 };
        foreach (var result in new[] { Gae.Compute(rewards, values, mask), Gae.ComputeLoop(rewards, values, mask) })
        {
            Close(advantages, Values(result.Advantages), dtype, "advantages");
            Close(returns, Values(result.Returns), dtype, "returns");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Gae_loop_equals_vectorised_and_the_scalar_reference_on_a_random_batch(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11, CPU);
        int[] lengths = { 7, 1, 4, 6, 0 };
        const int steps = 7;
        var rewards = randn(lengths.Length, steps, generator: generator).to_type(ScalarType.Float64);
        var values = randn(lengths.Length, steps, generator: generator).to_type(ScalarType.Float64);
        var maskValues = new double[lengths.Length, steps];
        for (int b = 0; b < lengths.Length; b++) for (int t = 0; t < lengths[b]; t++) maskValues[b, t] = 1.0;
        var mask = Mat(dtype, maskValues);
        const double gamma = 0.9, lambda = 0.8;
        var vectorised = Gae.Compute(rewards.to_type(dtype), values.to_type(dtype), mask, gamma, lambda);
        var loop = Gae.ComputeLoop(rewards.to_type(dtype), values.to_type(dtype), mask, gamma, lambda);
        Close(Values(loop.Advantages), Values(vectorised.Advantages), dtype, "loop vs vectorised advantages");
        Close(Values(loop.Returns), Values(vectorised.Returns), dtype, "loop vs vectorised returns");
        var r = Values(rewards.to_type(dtype));
        var v = Values(values.to_type(dtype));
        var expectedAdvantages = new double[lengths.Length * steps];
        for (int b = 0; b < lengths.Length; b++)
        {
            var (a, _) = ScalarGae(r.Skip(b * steps).Take(steps).ToArray(), v.Skip(b * steps).Take(steps).ToArray(), lengths[b], gamma, lambda);
            Array.Copy(a, 0, expectedAdvantages, b * steps, steps);
        }
        double tolerance = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        var actual = Values(vectorised.Advantages);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(actual[i] - expectedAdvantages[i]) <= tolerance, $"[{i}] {actual[i]} vs {expectedAdvantages[i]}");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Ppo_advantages_whiten_after_gae_and_returns_use_the_raw_advantages(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var rewards = Mat(dtype, new[,] { { 0.0, 0.0, 1.0 }, { 0.2, 1.0, 99.0 } });
        var values = Mat(dtype, new[,] { { 0.5, 0.6, 0.7 }, { 0.1, 0.3, 42.0 } });
        var mask = Mat(dtype, new[,] { { 1.0, 1.0, 1.0 }, { 1.0, 1.0, 0.0 } });
        var result = PpoAdvantages.Compute(rewards, values, mask);
        // Raw advantages from the golden GAE case above; whitened with their own mean and unbiased variance.
        double[] raw = { 0.46575, 0.385, 0.3, 1.065, 0.7 };
        double mean = raw.Average();
        double variance = raw.Sum(a => (a - mean) * (a - mean)) / (raw.Length - 1);
        var whitened = raw.Select(a => (a - mean) / Math.Sqrt(variance + 1e-8)).ToList();
        whitened.Insert(5, 0.0);
        Close(whitened.ToArray(), Values(result.Advantages), dtype, "whitened advantages");
        Close(new[] { 0.96575, 0.985, 1.0, 1.165, 1.0, 0.0 }, Values(result.Returns), dtype, "returns from raw advantages");
        // Reward whitening (off by default) scales the rewards and so changes the advantages.
        var scaled = PpoAdvantages.Compute(rewards, values, mask, whitenRewards: true, whitenAdvantages: false);
        Assert.NotEqual(Values(Gae.Compute(rewards, values, mask).Advantages)[0], Values(scaled.Advantages)[0]);
    }

    [Fact]
    public void Gae_refuses_a_mask_that_is_not_right_padded()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 3, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => Gae.Compute(x, x, Mat(ScalarType.Float64, new[,] { { 0.0, 1.0, 1.0 } })));
        Assert.Throws<ArgumentException>(() => Gae.ComputeLoop(x, x, Mat(ScalarType.Float64, new[,] { { 1.0, 0.0, 1.0 } })));
    }

    // Policy loss case: four response tokens and one masked token holding garbage, ε = 0.2.
    //   t0: log-ratio 0.1, ρ = 1.10517, A = 1  -> max(-1.10517, -1.10517) = -1.10517, not clipped, grad -ρ/4
    //   t1: log-ratio -0.5, ρ = 0.60653, A = -2 -> max(1.21306, 2 · 0.8 = 1.6) = 1.6, clipped, grad 0
    //   t2: log-ratio 0.3, ρ = 1.34986, A = -1 -> max(1.34986, 1.2) = 1.34986, not clipped, grad +ρ/4
    //   t3: log-ratio 0.3, ρ = 1.34986, A = 2  -> max(-2.69972, -2.4) = -2.4, clipped, grad 0
    // loss = (-1.10517 + 1.6 + 1.34986 - 2.4) / 4; clipfrac 2/4; approxkl = ½ (0.01 + 0.25 + 0.09 + 0.09) / 4 = 0.055.
    static readonly double[] NewLogp = { -1.0, -2.0, -0.7, -0.3, 7.0 };
    static readonly double[] OldLogp = { -1.1, -1.5, -1.0, -0.6, -50.0 };
    static readonly double[] Advantages = { 1.0, -2.0, -1.0, 2.0, 3.0 };
    static readonly double[] PolicyMask = { 1, 1, 1, 1, 0 };

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Clipped_policy_loss_golden_with_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var leaf = Leaf(dtype, NewLogp);
        var newLogp = leaf.reshape(1, 5);
        var result = PpoLosses.PolicyLoss(newLogp, Vec(dtype, OldLogp).reshape(1, 5), Vec(dtype, Advantages).reshape(1, 5), Vec(dtype, PolicyMask).reshape(1, 5));
        double expectedLoss = 0, clipped = 0;
        for (int t = 0; t < 4; t++)
        {
            var (loss, isClipped) = PolicyToken(NewLogp[t], OldLogp[t], Advantages[t], 0.2);
            expectedLoss += loss / 4;
            clipped += isClipped ? 0.25 : 0;
        }
        Close(expectedLoss, Scalar(result.Loss), dtype, "loss");
        Close((-Math.Exp(0.1) + 1.6 + Math.Exp(0.3) - 2.4) / 4, Scalar(result.Loss), dtype, "loss by hand");
        Assert.Equal(0.5, clipped);
        Assert.Equal(0.5, result.ClipFraction);
        Close(0.055, result.ApproxKl, dtype, "approxkl");
        Assert.Equal(1.0, Values(result.Ratio)[4]);
        result.Loss.backward();
        Close(new[] { -Math.Exp(0.1) / 4, 0.0, Math.Exp(0.3) / 4, 0.0, 0.0 }, Grad(leaf), dtype, "gradient");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Ratio_is_exactly_one_and_clipfrac_zero_when_new_equals_old(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var logp = Mat(dtype, new[,] { { -1.25, -0.5, -3.0 }, { -0.75, -2.0, 5.0 } });
        var advantages = Mat(dtype, new[,] { { 1.0, -2.0, 0.5 }, { 3.0, -1.0, 100.0 } });
        var mask = BoolMat(new[,] { { true, true, true }, { true, true, false } });
        var result = PpoLosses.PolicyLoss(logp, logp, advantages, mask);
        Assert.All(Values(result.Ratio), r => Assert.Equal(1.0, r));
        Assert.Equal(0.0, result.ClipFraction);
        Assert.Equal(0.0, result.ApproxKl);
        // loss = -mean(A) over the 5 selected tokens = -(1 - 2 + 0.5 + 3 - 1) / 5 = -0.3.
        Close(-0.3, Scalar(result.Loss), dtype, "loss");
    }

    [Fact]
    public void Policy_loss_ignores_masked_tokens()
    {
        using var scope = NewDisposeScope();
        var mask = Vec(ScalarType.Float64, PolicyMask).reshape(1, 5);
        var oldLogp = Vec(ScalarType.Float64, OldLogp).reshape(1, 5);
        var a = PpoLosses.PolicyLoss(Vec(ScalarType.Float64, NewLogp).reshape(1, 5), oldLogp, Vec(ScalarType.Float64, Advantages).reshape(1, 5), mask);
        var changed = (double[])NewLogp.Clone();
        changed[4] = 1000.0;                             // exp(1050) overflows if it were used
        var changedAdvantages = (double[])Advantages.Clone();
        changedAdvantages[4] = double.NaN;
        var leaf = Leaf(ScalarType.Float64, changed);
        var b = PpoLosses.PolicyLoss(leaf.reshape(1, 5), oldLogp, Vec(ScalarType.Float64, changedAdvantages).reshape(1, 5), mask);
        Assert.Equal(Scalar(a.Loss), Scalar(b.Loss));
        Assert.Equal(a.ClipFraction, b.ClipFraction);
        Assert.Equal(a.ApproxKl, b.ApproxKl);
        b.Loss.backward();
        var grad = Grad(leaf);
        Assert.All(grad, g => Assert.True(double.IsFinite(g)));
        Assert.Equal(0.0, grad[4]);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Clipped_value_loss_golden_with_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // ε_v = 0.2; the fourth token is masked and holds garbage.
        //   t0: V 0.9, old 0.8, R 1.5: within the clip; errors (0.6)² both = 0.36; grad ½ · 2 (0.9 - 1.5) / 3 = -0.2
        //   t1: V 0.5, old 0.9, R 0.0: V_clip = 0.7; errors 0.25 vs 0.49 -> clipped active, 0.49; grad 0
        //   t2: V 2.0, old 1.0, R 1.1: V_clip = 1.2; errors 0.81 vs 0.01 -> unclipped, 0.81; grad ½ · 2 (2.0 - 1.1) / 3 = 0.3
        // loss = ½ (0.36 + 0.49 + 0.81) / 3 = 0.276666...; val/clipfrac = 1/3.
        var values = Leaf(dtype, 0.9, 0.5, 2.0, double.NaN);
        var result = PpoLosses.ValueLoss(values.reshape(1, 4), Vec(dtype, 0.8, 0.9, 1.0, 7.0).reshape(1, 4),
            Vec(dtype, 1.5, 0.0, 1.1, -3.0).reshape(1, 4), Vec(dtype, 1, 1, 1, 0).reshape(1, 4));
        Close(0.5 * (0.36 + 0.49 + 0.81) / 3, Scalar(result.Loss), dtype, "loss");
        Close(1.0 / 3.0, result.ClipFraction, dtype, "clipfrac");
        result.Loss.backward();
        Close(new[] { -0.2, 0.0, 0.3, 0.0 }, Grad(values), dtype, "gradient");
    }

    [Fact]
    public void Rollout_metrics_golden()
    {
        using var scope = NewDisposeScope();
        var mask = BoolMat(new[,] { { true, true, false }, { true, true, true } });
        var logp = Mat(ScalarType.Float64, new[,] { { -0.5, -1.0, 9.0 }, { -0.2, -0.3, -0.4 } });
        var refLogp = Mat(ScalarType.Float64, new[,] { { -0.7, -0.5, 0.0 }, { -0.2, -0.4, -0.6 } });
        var hasEos = tensor(new[] { true, false });
        var shaped = RewardShaping.Shape(Vec(ScalarType.Float64, 2.0, 5.0), logp, refLogp, mask, hasEos, 0.1);
        var metrics = RolloutMetrics.Compute(shaped, logp, mask, hasEos);
        // Sequence KL (k1): row 0: 0.2 - 0.5 = -0.3; row 1: 0 + 0.1 + 0.2 = 0.3; mean 0.
        // Scores after the penalty: [2, -10], mean -4. Non-score: -0.1 · KL, mean 0. Entropy: Σ -logp = [1.5, 0.9], mean 1.2.
        Assert.Equal(-4.0, metrics.Scores, 12);
        Assert.Equal(0.0, metrics.Kl, 12);
        Assert.Equal(0.0, metrics.NonScoreReward, 12);
        Assert.Equal(-4.0, metrics.RlhfReward, 12);
        Assert.Equal(1.2, metrics.Entropy, 12);
        Assert.Equal(0.5, metrics.EosFraction);
        Assert.Equal(2.5, metrics.ResponseLength);
        Assert.Equal(metrics.Scores, metrics.Named()["objective/scores"]);
    }
}
