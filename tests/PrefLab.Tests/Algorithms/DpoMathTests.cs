using PrefLab.Algorithms.Dpo;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class DpoMathTests
{
    public DpoMathTests() => Load();

    // Tensors live in the test's dispose scope.
    // One pair used by the golden tests: pc = -10, pr = -12, rc = -11, rr = -11.5, lc = 4, lr = 5.
    // Sums: h = (pc - rc) - (pr - rr) = 1 - (-0.5) = 1.5.
    // Averages: p̄c = -2.5, p̄r = -2.4, r̄c = -2.75, r̄r = -2.3; h̄ = (0.25) - (-0.1) = 0.35; Δ̄ = p̄c - p̄r = -0.1.
    sealed class Pair
    {
        public readonly Tensor Pc, Pr, Rc, Rr, Lc, Lr;
        public Pair(ScalarType dtype)
        {
            Pc = Leaf(dtype, -10.0);
            Pr = Leaf(dtype, -12.0);
            Rc = Vec(dtype, -11.0);
            Rr = Vec(dtype, -11.5);
            Lc = tensor(new long[] { 4 });
            Lr = tensor(new long[] { 5 });
        }
        public DpoInputs Inputs => new(Pc, Pr, Rc, Rr, Lc, Lr);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Dpo_golden_value_rewards_and_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var p = new Pair(dtype);
        var output = DpoLosses.Dpo(p.Pc, p.Pr, p.Rc, p.Rr, beta: 0.1);
        // loss = -log σ(0.1 · 1.5) = log(1 + e^-0.15) = 0.62041740...
        Close(Softplus(-0.15), Scalar(output.Losses), dtype, "loss");
        Close(0.1 * 1.0, Scalar(output.ChosenRewards), dtype, "chosen reward β(pc - rc)");
        Close(0.1 * -0.5, Scalar(output.RejectedRewards), dtype, "rejected reward β(pr - rr)");
        Assert.False(output.ChosenRewards.requires_grad);
        output.Losses.sum().backward();
        // d/d pc = -β σ(-β h) = -0.1 σ(-0.15); d/d pr = +0.1 σ(-0.15).
        Close(-0.1 * Sigmoid(-0.15), Grad(p.Pc)[0], dtype, "d/d pc");
        Close(0.1 * Sigmoid(-0.15), Grad(p.Pr)[0], dtype, "d/d pr");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Cdpo_golden_value_and_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var p = new Pair(dtype);
        var output = DpoLosses.Cdpo(p.Pc, p.Pr, p.Rc, p.Rr, beta: 0.1, labelSmoothing: 0.2);
        // loss = -0.8 log σ(0.15) - 0.2 log σ(-0.15) = 0.8 softplus(-0.15) + 0.2 softplus(0.15).
        Close(0.8 * Softplus(-0.15) + 0.2 * Softplus(0.15), Scalar(output.Losses), dtype, "loss");
        output.Losses.sum().backward();
        // d/d pc = -β [(1-ε) σ(-βh) - ε σ(βh)].
        Close(-0.1 * (0.8 * Sigmoid(-0.15) - 0.2 * Sigmoid(0.15)), Grad(p.Pc)[0], dtype, "d/d pc");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Ipo_uses_length_averaged_log_probs(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var p = new Pair(dtype);
        var output = DpoLosses.Ipo(p.Pc, p.Pr, p.Rc, p.Rr, p.Lc, p.Lr, beta: 0.1);
        // loss = (h̄ - 1/(2β))² = (0.35 - 5)² = 21.6225.
        Close(21.6225, Scalar(output.Losses), dtype, "loss");
        Close(0.1 * 0.25, Scalar(output.ChosenRewards), dtype, "chosen reward β(p̄c - r̄c)");
        Close(0.1 * -0.1, Scalar(output.RejectedRewards), dtype, "rejected reward β(p̄r - r̄r)");
        output.Losses.sum().backward();
        // d/d pc = 2 (h̄ - 5) / lc = 2 (-4.65) / 4 = -2.325; d/d pr = -2 (h̄ - 5) / lr = 1.86.
        Close(-2.325, Grad(p.Pc)[0], dtype, "d/d pc");
        Close(1.86, Grad(p.Pr)[0], dtype, "d/d pr");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Simpo_is_reference_free_with_a_target_margin(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var p = new Pair(dtype);
        var output = DpoLosses.Simpo(p.Pc, p.Pr, p.Lc, p.Lr, beta: 2.0, gamma: 0.5);
        // x = β Δ̄ - γ = 2 (-0.1) - 0.5 = -0.7; loss = -log σ(-0.7) = log(1 + e^0.7).
        Close(Softplus(0.7), Scalar(output.Losses), dtype, "loss");
        Close(2.0 * -2.5, Scalar(output.ChosenRewards), dtype, "chosen reward β p̄c");
        Close(2.0 * -2.4, Scalar(output.RejectedRewards), dtype, "rejected reward β p̄r");
        output.Losses.sum().backward();
        // d/d pc = -σ(-x) β / lc = -σ(0.7) · 0.5; d/d pr = +σ(0.7) · 2 / 5.
        Close(-Sigmoid(0.7) * 0.5, Grad(p.Pc)[0], dtype, "d/d pc");
        Close(Sigmoid(0.7) * 0.4, Grad(p.Pr)[0], dtype, "d/d pr");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Dpo_norm_is_dpo_on_length_averages(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var p = new Pair(dtype);
        var output = DpoLosses.DpoNorm(p.Pc, p.Pr, p.Rc, p.Rr, p.Lc, p.Lr, beta: 0.1);
        // loss = -log σ(0.1 · 0.35) = log(1 + e^-0.035).
        Close(Softplus(-0.035), Scalar(output.Losses), dtype, "loss");
        output.Losses.sum().backward();
        // d/d pc = -(β / lc) σ(-β h̄) = -0.025 σ(-0.035).
        Close(-0.025 * Sigmoid(-0.035), Grad(p.Pc)[0], dtype, "d/d pc");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Policy_equal_to_reference_gives_ln2_and_zero_rewards_accuracy_and_margin(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var chosen = Vec(dtype, -12.25, -3.5, -40.125);
        var rejected = Vec(dtype, -9.75, -7.0, -38.5);
        var lengths = tensor(new long[] { 5, 3, 17 });
        foreach (var loss in new[] { DpoLossType.Dpo, DpoLossType.Cdpo, DpoLossType.DpoNorm })
        {
            var output = DpoLosses.Compute(new DpoInputs(chosen, rejected, chosen, rejected, lengths, lengths), new DpoOptions { Loss = loss });
            foreach (double value in Values(output.Losses)) Close(Math.Log(2.0), value, dtype, DpoLossTypes.Name(loss));
            var metrics = DpoBatchMetrics.Compute(output, chosen, rejected);
            Assert.Equal(0.0, metrics.RewardsAccuracies);
            Assert.Equal(0.0, metrics.RewardsMargins);
            Assert.Equal(0.0, metrics.RewardsChosen);
            Assert.Equal(0.0, metrics.RewardsRejected);
            Close(Math.Log(2.0), metrics.Loss, dtype, "metric loss");
        }
    }

    [Fact]
    public void Every_variant_differs_from_plain_dpo_on_the_same_inputs()
    {
        using var scope = NewDisposeScope();
        var p = new Pair(ScalarType.Float64);
        double plain = Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions()).Losses);
        foreach (var loss in DpoLossTypes.All.Where(l => l != DpoLossType.Dpo))
        {
            double variant = Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Loss = loss }).Losses);
            Assert.True(Math.Abs(variant - plain) > 1e-3, $"{DpoLossTypes.Name(loss)} gave {variant}, plain dpo {plain}");
        }
        // And the knobs change the loss: β, ε, γ.
        Assert.NotEqual(plain, Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Beta = 0.5 }).Losses));
        Assert.NotEqual(
            Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Loss = DpoLossType.Cdpo, LabelSmoothing = 0.1 }).Losses),
            Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Loss = DpoLossType.Cdpo, LabelSmoothing = 0.3 }).Losses));
        Assert.NotEqual(
            Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Loss = DpoLossType.Simpo, SimpoGamma = 0.0 }).Losses),
            Scalar(DpoLosses.Compute(p.Inputs, new DpoOptions { Loss = DpoLossType.Simpo, SimpoGamma = 1.0 }).Losses));
    }

    [Theory]
    [InlineData(DpoLossType.Dpo, "label-smoothing")]
    [InlineData(DpoLossType.Ipo, "label-smoothing")]
    [InlineData(DpoLossType.Simpo, "label-smoothing")]
    [InlineData(DpoLossType.DpoNorm, "label-smoothing")]
    [InlineData(DpoLossType.Dpo, "simpo-gamma")]
    [InlineData(DpoLossType.Cdpo, "simpo-gamma")]
    [InlineData(DpoLossType.Ipo, "simpo-gamma")]
    [InlineData(DpoLossType.DpoNorm, "simpo-gamma")]
    public void An_option_that_does_not_apply_is_an_error_naming_option_and_loss(DpoLossType loss, string option)
    {
        var options = option == "label-smoothing"
            ? new DpoOptions { Loss = loss, LabelSmoothing = 0.1 }
            : new DpoOptions { Loss = loss, SimpoGamma = 0.5 };
        var error = Assert.Throws<UserError>(() => options.Validate());
        Assert.Contains("--" + option, error.Message);
        Assert.Contains("--loss " + DpoLossTypes.Name(loss), error.Message);
    }

    [Fact]
    public void Defaults_and_ranges()
    {
        Assert.Equal(new DpoSettings(DpoLossType.Dpo, 0.1, 0.0, 0.0), new DpoOptions().Validate());
        Assert.Equal(new DpoSettings(DpoLossType.Cdpo, 0.1, 0.1, 0.0), new DpoOptions { Loss = DpoLossType.Cdpo }.Validate());
        Assert.Equal(new DpoSettings(DpoLossType.Simpo, 2.0, 0.0, 0.5), new DpoOptions { Loss = DpoLossType.Simpo }.Validate());
        Assert.Contains("--beta", Assert.Throws<UserError>(() => new DpoOptions { Beta = 0.0 }.Validate()).Message);
        Assert.Contains("--label-smoothing", Assert.Throws<UserError>(() => new DpoOptions { Loss = DpoLossType.Cdpo, LabelSmoothing = 0.5 }.Validate()).Message);
        Assert.Contains("--simpo-gamma", Assert.Throws<UserError>(() => new DpoOptions { Loss = DpoLossType.Simpo, SimpoGamma = -1 }.Validate()).Message);
        Assert.Equal(DpoLossType.DpoNorm, DpoLossTypes.Parse("dpo-norm"));
        Assert.Contains("--loss", Assert.Throws<UserError>(() => DpoLossTypes.Parse("kto")).Message);
    }

    [Fact]
    public void Missing_reference_is_refused_except_for_simpo()
    {
        using var scope = NewDisposeScope();
        var p = new Pair(ScalarType.Float64);
        var noReference = new DpoInputs(p.Pc, p.Pr, null, null, p.Lc, p.Lr);
        Assert.Throws<ArgumentException>(() => DpoLosses.Compute(noReference, new DpoOptions()));
        Assert.Throws<ArgumentException>(() => DpoLosses.Compute(new DpoInputs(p.Pc, p.Pr, p.Rc, p.Rr, null, null), new DpoOptions { Loss = DpoLossType.Ipo }));
        Close(Softplus(0.7), Scalar(DpoLosses.Compute(noReference, new DpoOptions { Loss = DpoLossType.Simpo }).Losses), ScalarType.Float64, "simpo");
    }

    [Fact]
    public void Batch_metrics_golden()
    {
        using var scope = NewDisposeScope();
        var pc = Vec(ScalarType.Float64, -10.0, -20.0);
        var pr = Vec(ScalarType.Float64, -12.0, -18.0);
        var rc = Vec(ScalarType.Float64, -11.0, -20.0);
        var rr = Vec(ScalarType.Float64, -11.5, -19.0);
        var metrics = DpoBatchMetrics.Compute(DpoLosses.Dpo(pc, pr, rc, rr, 0.1), pc, pr);
        // chosen rewards 0.1·[1, 0] = [0.1, 0]; rejected 0.1·[-0.5, 1] = [-0.05, 0.1]; h = [1.5, -1].
        Assert.Equal(0.05, metrics.RewardsChosen, 12);
        Assert.Equal(0.025, metrics.RewardsRejected, 12);
        Assert.Equal(0.5, metrics.RewardsAccuracies);            // 0.1 > -0.05 yes; 0 > 0.1 no
        Assert.Equal(0.025, metrics.RewardsMargins, 12);          // (0.15 + -0.1) / 2
        Assert.Equal(-15.0, metrics.LogpsChosen, 12);
        Assert.Equal(-15.0, metrics.LogpsRejected, 12);
        Assert.Equal((Softplus(-0.15) + Softplus(0.1)) / 2, metrics.Loss, 12);
        Assert.Equal(metrics.RewardsMargins, metrics.Named()["rewards/margins"]);
    }
}
