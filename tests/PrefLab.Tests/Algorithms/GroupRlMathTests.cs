using PrefLab.Algorithms.GroupRl;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class GroupRlMathTests
{
    public GroupRlMathTests() => Load();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Rloo_leave_one_out_golden_with_a_zero_variance_group(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Layout [prompts * k], k = 4: prompt 0 -> [1, 2, 3, 6], prompt 1 -> [0.1, 0.1, 0.1, 0.1].
        var rewards = Vec(dtype, 1, 2, 3, 6, 0.1, 0.1, 0.1, 0.1);
        var result = Rloo.Advantages(rewards, 4);
        // Prompt 0, Σ = 12: A_i = r_i - (12 - r_i)/3 -> 1 - 11/3, 2 - 10/3, 3 - 9/3, 6 - 6/3 = -8/3, -4/3, 0, 4.
        double[] expected = { -8.0 / 3, -4.0 / 3, 0.0, 4.0, 0, 0, 0, 0 };
        Close(expected, Values(result.Advantages), dtype, "advantages");
        Assert.All(Values(result.Advantages).Skip(4), a => Assert.Equal(0.0, a));
        Assert.Equal(1, result.ZeroVarianceGroups);
        Assert.Equal(2, result.Groups);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Grpo_group_normalised_golden_with_a_zero_variance_group(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var rewards = Vec(dtype, 1, 2, 3, 6, 0.1, 0.1, 0.1, 0.1);
        var result = Grpo.Advantages(rewards, 4);
        // Prompt 0: mean 3; unbiased std sqrt((4 + 1 + 0 + 9) / 3) = sqrt(14/3) = 2.16024689946929;
        // A = (r - 3) / (std + 1e-4). Prompt 1: all equal -> exactly 0, counted.
        double std = Math.Sqrt(14.0 / 3.0) + 1e-4;
        double[] expected = { -2 / std, -1 / std, 0, 3 / std, 0, 0, 0, 0 };
        Close(expected, Values(result.Advantages), dtype, "advantages");
        Assert.All(Values(result.Advantages).Skip(4), a => Assert.Equal(0.0, a));
        Assert.Equal(1, result.ZeroVarianceGroups);
        // Dr. GRPO: only the mean is removed.
        Close(new double[] { -2, -1, 0, 3, 0, 0, 0, 0 }, Values(Grpo.Advantages(rewards, 4, scaleByStd: false).Advantages), dtype, "unscaled");
    }

    [Fact]
    public void Equal_rewards_give_exactly_zero_where_rounding_would_not()
    {
        using var scope = NewDisposeScope();
        // 0.1 + 0.1 + 0.1 = 0.30000000000000004 and / 3 = 0.10000000000000002 ≠ 0.1 in float64.
        Assert.NotEqual(0.1, (0.1 + 0.1 + 0.1) / 3);
        var rewards = Vec(ScalarType.Float64, 0.1, 0.1, 0.1, 0.7, 0.7, 0.7, 0.0, 1.0, 0.5);
        var grpo = Grpo.Advantages(rewards, 3);
        var rloo = Rloo.Advantages(rewards, 3);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0 }, Values(grpo.Advantages).Take(6).ToArray());
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0 }, Values(rloo.Advantages).Take(6).ToArray());
        Assert.Equal(2, grpo.ZeroVarianceGroups);
        Assert.Equal(2, rloo.ZeroVarianceGroups);
        // The third group: mean 0.5, unbiased std 0.5; RLOO: 0 - 0.75, 1 - 0.25, 0.5 - 0.5.
        Close(new[] { -0.5 / 0.5001, 0.5 / 0.5001, 0.0 }, Values(grpo.Advantages).Skip(6).ToArray(), ScalarType.Float64, "grpo");
        Close(new[] { -0.75, 0.75, 0.0 }, Values(rloo.Advantages).Skip(6).ToArray(), ScalarType.Float64, "rloo");
    }

    [Fact]
    public void Layout_is_checked()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Grpo.Advantages(Vec(ScalarType.Float32, 1, 2, 3, 4, 5, 6, 7), 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rloo.Advantages(Vec(ScalarType.Float32, 1, 2), 1));
        Assert.Throws<ArgumentException>(() => Rloo.Advantages(zeros(2, 2), 2));
    }

    [Fact]
    public void Kl_penalised_rloo_rewards_golden()
    {
        using var scope = NewDisposeScope();
        var kl = Mat(ScalarType.Float64, new[,] { { 0.5, 0.25, 9.0 }, { -0.1, 0.3, 0.4 } });
        var mask = BoolMat(new[,] { { true, true, false }, { true, true, true } });
        // score - β Σ kl: 1 - 0.1 · 0.75 = 0.925; 2 - 0.1 · 0.6 = 1.94.
        Close(new[] { 0.925, 1.94 }, Values(Rloo.KlPenalizedRewards(Vec(ScalarType.Float64, 1.0, 2.0), kl, mask, 0.1)), ScalarType.Float64, "rewards");
    }

    // Two sequences, T = 3, the second of length 2 (its last position holds garbage). ε = 0.2, β = 0.04.
    static readonly double[,] NewLogp = { { -1.0, -0.5, -2.0 }, { -0.3, -1.5, 50.0 } };
    static readonly double[,] OldLogp = { { -1.0, -0.6, -1.5 }, { -0.3, -1.0, -9.0 } };
    static readonly double[,] RefLogp = { { -1.2, -0.5, -2.2 }, { -0.4, -1.0, 0.0 } };
    static readonly double[] SequenceAdvantages = { 0.5, -1.0 };
    static readonly int[] Lengths = { 3, 2 };

    [Theory]
    [InlineData(ScalarType.Float32, GroupLossNormalization.PerSequence)]
    [InlineData(ScalarType.Float64, GroupLossNormalization.PerSequence)]
    [InlineData(ScalarType.Float64, GroupLossNormalization.Token)]
    public void Grpo_loss_golden_with_k3_term_and_gradient(ScalarType dtype, GroupLossNormalization normalization)
    {
        using var scope = NewDisposeScope();
        const double beta = 0.04, clip = 0.2;
        var leaf = LeafMat(dtype, NewLogp);
        var mask = Mat(dtype, new[,] { { 1.0, 1.0, 1.0 }, { 1.0, 1.0, 0.0 } });
        var result = GroupPolicyLoss.Compute(leaf, Mat(dtype, OldLogp), Mat(dtype, RefLogp), Vec(dtype, SequenceAdvantages), mask, beta, clip, normalization);

        // Scalar reference: ℓ_t = max(-A ρ, -A clip(ρ)) + β k3; gradient (clipped ? 0 : -A ρ) + β (1 - e^{ref - new}).
        double loss = 0, clippedTokens = 0, klSum = 0;
        var gradient = new double[6];
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < Lengths[b]; t++)
            {
                var (policy, clipped) = PolicyToken(NewLogp[b, t], OldLogp[b, t], SequenceAdvantages[b], clip);
                double k3 = K3(NewLogp[b, t], RefLogp[b, t]);
                double weight = normalization == GroupLossNormalization.PerSequence ? 1.0 / (2 * Lengths[b]) : 1.0 / 5;
                loss += weight * (policy + beta * k3);
                double ratio = Math.Exp(NewLogp[b, t] - OldLogp[b, t]);
                gradient[b * 3 + t] = weight * ((clipped ? 0.0 : -SequenceAdvantages[b] * ratio) + beta * (1 - Math.Exp(RefLogp[b, t] - NewLogp[b, t])));
                clippedTokens += clipped ? 1 : 0;
                klSum += k3;
            }
        Close(loss, Scalar(result.Loss), dtype, "loss");
        // Only (1, 1) is clipped: ρ = e^-0.5 = 0.6065 < 0.8 with A = -1.
        Assert.Equal(1, clippedTokens);
        Close(0.2, result.ClipFraction, dtype, "clipfrac");
        Close(klSum / 5, result.Kl, dtype, "kl");
        result.Loss.backward();
        Close(gradient, Grad(leaf), dtype, "gradient");
    }

    [Fact]
    public void The_two_normalisations_differ_and_beta_changes_the_loss()
    {
        using var scope = NewDisposeScope();
        var mask = Mat(ScalarType.Float64, new[,] { { 1.0, 1.0, 1.0 }, { 1.0, 1.0, 0.0 } });
        double Loss(double beta, GroupLossNormalization normalization) => Scalar(GroupPolicyLoss.Compute(
            Mat(ScalarType.Float64, NewLogp), Mat(ScalarType.Float64, OldLogp), Mat(ScalarType.Float64, RefLogp),
            Vec(ScalarType.Float64, SequenceAdvantages), mask, beta, 0.2, normalization).Loss);
        Assert.NotEqual(Loss(0.04, GroupLossNormalization.PerSequence), Loss(0.04, GroupLossNormalization.Token));
        Assert.NotEqual(Loss(0.04, GroupLossNormalization.PerSequence), Loss(0.0, GroupLossNormalization.PerSequence));
    }

    [Fact]
    public void Group_loss_at_new_equal_old_has_unit_ratio_and_needs_a_reference_only_with_beta()
    {
        using var scope = NewDisposeScope();
        var logp = Mat(ScalarType.Float64, NewLogp);
        var mask = BoolMat(new[,] { { true, true, true }, { true, true, false } });
        var result = GroupPolicyLoss.Compute(logp, logp, null, Vec(ScalarType.Float64, SequenceAdvantages), mask, beta: 0.0);
        Assert.All(Values(result.Ratio), r => Assert.Equal(1.0, r));
        Assert.Equal(0.0, result.ClipFraction);
        // Per-sequence mean of -A: (-0.5 + 1.0) / 2 = 0.25.
        Close(0.25, Scalar(result.Loss), ScalarType.Float64, "loss");
        Assert.Throws<ArgumentException>(() => GroupPolicyLoss.Compute(logp, logp, null, Vec(ScalarType.Float64, SequenceAdvantages), mask, beta: 0.04));
    }
}
