using PrefLab.Algorithms.Kto;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

/// <summary>
/// KTO's loss against values computed here in plain double arithmetic from hand-chosen log-probs (not through
/// <see cref="KtoLosses"/>): desirable λ_D (1 − σ(β (r − z0))), undesirable λ_U (1 − σ(β (z0 − r))), r = π − π_ref,
/// z0 = max(0, mean(π_KL − π_ref,KL)) detached.
/// </summary>
public class KtoMathTests
{
    public KtoMathTests() => Load();

    static Tensor Labels(params bool[] desirable) => tensor(desirable);

    // The mixed batch: three examples, two desirable, one undesirable.
    //   policy    -10, -12, -8       reference -11, -11.5, -9      r = +1, -0.5, +1
    //   KL pairs: policy -20, -15, -18; reference -21, -15.5, -17  diffs +1, +0.5, -1  mean 1/6 > 0
    static readonly double[] P = [-10, -12, -8], R = [-11, -11.5, -9], Pk = [-20, -15, -18], Rk = [-21, -15.5, -17];
    static readonly bool[] D = [true, false, true];

    static double[] Expected(double[] p, double[] r, double[] pk, double[] rk, bool[] d, double beta, double wd, double wu)
    {
        double z0 = 0;
        for (int i = 0; i < pk.Length; i++) z0 += pk[i] - rk[i];
        z0 = Math.Max(0, z0 / pk.Length);
        var losses = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double ratio = p[i] - r[i];
            losses[i] = d[i] ? wd * (1 - Sigmoid(beta * (ratio - z0))) : wu * (1 - Sigmoid(beta * (z0 - ratio)));
        }
        return losses;
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Mixed_batch_golden_losses_rewards_and_kl(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var output = KtoLosses.Compute(new KtoInputs(Leaf(dtype, P), Vec(dtype, R), Vec(dtype, Pk), Vec(dtype, Rk), Labels(D)), new KtoSettings(0.1, 1.0, 1.0));
        double z0 = 1.0 / 6.0;
        Close(z0, Scalar(output.Kl), dtype, "kl = mean(+1, +0.5, -1)");
        // By hand: 1 - σ(0.1 (1 - 1/6)), 1 - σ(0.1 (1/6 + 0.5)), 1 - σ(0.1 (1 - 1/6)).
        double[] expected = [1 - Sigmoid(0.1 * (5.0 / 6.0)), 1 - Sigmoid(0.1 * (2.0 / 3.0)), 1 - Sigmoid(0.1 * (5.0 / 6.0))];
        Close(expected, Values(output.Losses), dtype, "losses");
        Close(Expected(P, R, Pk, Rk, D, 0.1, 1, 1), Values(output.Losses), dtype, "losses (loop)");
        Close([0.1, -0.05, 0.1], Values(output.Rewards), dtype, "rewards β r");
        Assert.False(output.Rewards.requires_grad);
        Assert.False(output.Kl.requires_grad);
    }

    [Fact]
    public void The_reference_point_is_clamped_at_zero()
    {
        using var scope = NewDisposeScope();
        // KL diffs -2, -1: mean -1.5, clamped to 0. With z0 = 0: 1 - σ(0.5 · 1) and 1 - σ(0.5 · 0.5).
        var output = KtoLosses.Compute(new KtoInputs(Vec(ScalarType.Float64, -5, -6), Vec(ScalarType.Float64, -6, -5.5),
            Vec(ScalarType.Float64, -12, -9), Vec(ScalarType.Float64, -10, -8), Labels(true, false)), new KtoSettings(0.5, 1.0, 1.0));
        Assert.Equal(0.0, Scalar(output.Kl));
        Close([1 - Sigmoid(0.5), 1 - Sigmoid(0.25)], Values(output.Losses), ScalarType.Float64, "losses with z0 = 0");
        // Unclamped, z0 = -1.5 would give 1 - σ(0.5 · 2.5) for the first: not what we get.
        Assert.NotEqual(1 - Sigmoid(1.25), Values(output.Losses)[0], 6);
    }

    [Fact]
    public void Weights_scale_each_label_loss()
    {
        using var scope = NewDisposeScope();
        var inputs = new KtoInputs(Vec(ScalarType.Float64, P), Vec(ScalarType.Float64, R), Vec(ScalarType.Float64, Pk), Vec(ScalarType.Float64, Rk), Labels(D));
        var output = KtoLosses.Compute(inputs, new KtoSettings(0.1, 1.5, 0.25));
        Close(Expected(P, R, Pk, Rk, D, 0.1, 1.5, 0.25), Values(output.Losses), ScalarType.Float64, "weighted losses");
        double z0 = 1.0 / 6.0;
        Close(1.5 * (1 - Sigmoid(0.1 * (1 - z0))), Values(output.Losses)[0], ScalarType.Float64, "λ_D");
        Close(0.25 * (1 - Sigmoid(0.1 * (z0 + 0.5))), Values(output.Losses)[1], ScalarType.Float64, "λ_U");
        // Each weight changes only its own label's loss.
        var unweighted = Values(KtoLosses.Compute(inputs, new KtoSettings(0.1, 1.0, 1.0)).Losses);
        Assert.NotEqual(unweighted[0], Values(output.Losses)[0]);
        var onlyUndesirable = Values(KtoLosses.Compute(inputs, new KtoSettings(0.1, 1.0, 0.25)).Losses);
        Assert.Equal(unweighted[0], onlyUndesirable[0]);
        Assert.NotEqual(unweighted[1], onlyUndesirable[1]);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Gradient_signs_and_values(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var policy = Leaf(dtype, P);
        var policyKl = Leaf(dtype, Pk);
        var output = KtoLosses.Compute(new KtoInputs(policy, Vec(dtype, R), policyKl, Vec(dtype, Rk), Labels(D)), new KtoSettings(0.1, 2.0, 1.0));
        output.Losses.sum().backward();
        double z0 = 1.0 / 6.0;
        double SigmaPrime(double x) => Sigmoid(x) * (1 - Sigmoid(x));
        // d/dp [λ_D (1 - σ(β(r - z0)))] = -λ_D β σ'(β(r - z0)); d/dp [λ_U (1 - σ(β(z0 - r)))] = +λ_U β σ'(β(z0 - r)).
        double[] expected = [-2.0 * 0.1 * SigmaPrime(0.1 * (1 - z0)), 1.0 * 0.1 * SigmaPrime(0.1 * (z0 + 0.5)), -2.0 * 0.1 * SigmaPrime(0.1 * (1 - z0))];
        var grad = Grad(policy);
        Close(expected, grad, dtype, "d loss / d log π");
        Assert.True(grad[0] < 0 && grad[2] < 0, "a desirable completion's log-prob is pushed up");
        Assert.True(grad[1] > 0, "an undesirable completion's log-prob is pushed down");
        // z0 is detached: the KL log-probs get no gradient.
        Assert.True(policyKl.grad is null || Values(policyKl.grad).All(g => g == 0));
    }

    [Fact]
    public void At_policy_equals_reference_every_loss_is_half_its_weight()
    {
        using var scope = NewDisposeScope();
        var same = Vec(ScalarType.Float64, -3, -7, -1, -4);
        var sameKl = Vec(ScalarType.Float64, -9, -2, -5, -6);
        var output = KtoLosses.Compute(new KtoInputs(same, same.clone(), sameKl, sameKl.clone(), Labels(true, false, false, true)), new KtoSettings(0.3, 1.2, 0.7));
        Assert.Equal([0.6, 0.35, 0.35, 0.6], Values(output.Losses));
        Assert.Equal([0.0, 0.0, 0.0, 0.0], Values(output.Rewards));
        Assert.Equal(0.0, Scalar(output.Kl));
    }

    [Fact]
    public void Metrics_average_per_label_and_margins_need_both()
    {
        using var scope = NewDisposeScope();
        var policy = Vec(ScalarType.Float64, P);
        var output = KtoLosses.Compute(new KtoInputs(policy, Vec(ScalarType.Float64, R), Vec(ScalarType.Float64, Pk), Vec(ScalarType.Float64, Rk), Labels(D)), new KtoSettings(0.1, 1, 1));
        var means = KtoMetrics.Means(KtoMetrics.Sums(output, policy));
        Close(0.1, means["rewards/chosen"], ScalarType.Float64);
        Close(-0.05, means["rewards/rejected"], ScalarType.Float64);
        Close(0.15, means["rewards/margins"], ScalarType.Float64);
        Close(-9.0, means["logps/chosen"], ScalarType.Float64);
        Close(-12.0, means["logps/rejected"], ScalarType.Float64);
        Close(1.0 / 6.0, means["kl"], ScalarType.Float64);

        var onlyDesirable = KtoLosses.Compute(new KtoInputs(policy, Vec(ScalarType.Float64, R), Vec(ScalarType.Float64, Pk), Vec(ScalarType.Float64, Rk), Labels(true, true, true)), new KtoSettings(0.1, 1, 1));
        var partial = KtoMetrics.Means(KtoMetrics.Sums(onlyDesirable, policy));
        Assert.True(partial.ContainsKey("rewards/chosen"));
        Assert.False(partial.ContainsKey("rewards/rejected"));
        Assert.False(partial.ContainsKey("logps/rejected"));
        Assert.False(partial.ContainsKey("rewards/margins"));
    }

    [Fact]
    public void Options_defaults_and_range_errors_name_the_option()
    {
        var settings = new KtoOptions().Validate();
        Assert.Equal(new KtoSettings(0.1, 1.0, 1.0), settings);
        Assert.Contains("beta", Assert.Throws<UserError>(() => new KtoOptions { Beta = 0 }.Validate()).Message);
        Assert.Contains("desirable-weight", Assert.Throws<UserError>(() => new KtoOptions { DesirableWeight = -1 }.Validate()).Message);
        Assert.Contains("undesirable-weight", Assert.Throws<UserError>(() => new KtoOptions { UndesirableWeight = double.NaN }.Validate()).Message);
        Assert.Equal(4.0 / 3.0, new KtoSettings(0.1, 1, 1).WeightedRatio(4, 3), 12);
    }

    [Fact]
    public void Kl_pairing_rotates_within_chunks_and_avoids_same_prompts()
    {
        // Distinct prompts, chunks of 3: TRL's rotation by one within each chunk; a last chunk of one joins the previous.
        Assert.Equal([2, 0, 1, 5, 3, 4], KlPairing.Sources([1, 2, 3, 4, 5, 6], 3));
        Assert.Equal([3, 0, 1, 2], KlPairing.Sources([1, 2, 3, 4], 3));   // 3 + 1: one chunk of 4
        // A pair's chosen and rejected (same prompt) are adjacent: each takes the nearest earlier other prompt.
        var sources = KlPairing.Sources([10, 10, 20, 20], 4);
        Assert.Equal([3, 3, 1, 1], sources);
        int[] prompts = [10, 10, 20, 20];
        for (int i = 0; i < 4; i++) Assert.NotEqual(prompts[i], prompts[sources[i]]);
        // One prompt only: the plain rotation.
        Assert.Equal([1, 0], KlPairing.Sources([5, 5], 2));
    }
}
