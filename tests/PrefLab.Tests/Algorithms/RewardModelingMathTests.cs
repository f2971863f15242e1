using PrefLab.Algorithms.RewardModeling;
using PrefLab.Rewards;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class RewardModelingMathTests
{
    public RewardModelingMathTests() => Load();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Bradley_Terry_loss_and_gradient_golden(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var chosen = Leaf(dtype, 2.0, 0.5, -1.0);
        var rejected = Leaf(dtype, 1.0, 0.5, 3.0);
        // d = r_c - r_r = [1, 0, -4]; loss_i = -log σ(d_i) = log(1 + e^-d_i):
        // log(1 + e^-1) = 0.313261687518223, log 2 = 0.693147180559945, log(1 + e^4) = 4.01814992791781.
        double[] expected = { 0.31326168751822286, 0.69314718055994531, 4.0181499279178094 };
        Close(expected, Values(BradleyTerry.Losses(chosen, rejected)), dtype, "losses");
        var loss = BradleyTerry.Loss(chosen, rejected);
        Close(expected.Average(), Scalar(loss), dtype, "mean");
        // d mean / d r_c,i = -σ(-d_i) / n, d mean / d r_r,i = +σ(-d_i) / n.
        loss.backward();
        double[] d = { 1.0, 0.0, -4.0 };
        Close(d.Select(x => -Sigmoid(-x) / 3).ToArray(), Grad(chosen), dtype, "d/d chosen");
        Close(d.Select(x => Sigmoid(-x) / 3).ToArray(), Grad(rejected), dtype, "d/d rejected");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Margin_is_subtracted_inside_the_sigmoid(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var chosen = Leaf(dtype, 2.0, 0.5);
        var rejected = Vec(dtype, 1.0, 0.5);
        var margin = Vec(dtype, 0.5, 2.0);
        // d - m = [0.5, -2]: loss = [log(1 + e^-0.5), log(1 + e^2)].
        Close(new[] { Softplus(-0.5), Softplus(2.0) }, Values(BradleyTerry.Losses(chosen, rejected, margin)), dtype, "losses");
        Assert.NotEqual(Values(BradleyTerry.Losses(chosen, rejected))[0], Values(BradleyTerry.Losses(chosen, rejected, margin))[0]);
        BradleyTerry.Loss(chosen, rejected, margin).backward();
        Close(new[] { -Sigmoid(-0.5) / 2, -Sigmoid(2.0) / 2 }, Grad(chosen), dtype, "gradient");
    }

    [Fact]
    public void Loss_is_finite_for_a_huge_wrong_margin_in_float32()
    {
        using var scope = NewDisposeScope();
        var chosen = Leaf(ScalarType.Float32, -150.0);
        var rejected = Vec(ScalarType.Float32, 150.0);
        var loss = BradleyTerry.Loss(chosen, rejected);
        // -log σ(-300) = 300 + log(1 + e^-300) = 300 (naive log(sigmoid) gives +inf).
        Close(300.0, Scalar(loss), ScalarType.Float32, "loss");
        loss.backward();
        Close(-1.0, Grad(chosen)[0], ScalarType.Float32, "gradient");
    }

    [Fact]
    public void Metrics_count_a_tie_as_half()
    {
        using var scope = NewDisposeScope();
        var chosen = Vec(ScalarType.Float32, 2.0, 0.5, -1.0, 3.0);
        var rejected = Vec(ScalarType.Float32, 1.0, 0.5, 3.0, 1.0);
        var metrics = BradleyTerry.Metrics(chosen, rejected);
        // wins: 2>1, 3>1; tie: 0.5=0.5; loss: -1<3. Accuracy (2 + 0.5) / 4 = 0.625.
        Assert.Equal(0.625, metrics.Accuracy);
        Assert.Equal(1, metrics.Ties);
        Assert.Equal(4, metrics.Count);
        // margins 1, 0, -4, 2: mean -0.25; chosen mean 4.5/4 = 1.125; rejected mean 5.5/4 = 1.375.
        Assert.Equal(-0.25, metrics.Margin, 12);
        Assert.Equal(1.125, metrics.RewardChosen, 12);
        Assert.Equal(1.375, metrics.RewardRejected, 12);
    }

    [Fact]
    public void Normalizer_maps_the_samples_to_mean_zero_and_std_one()
    {
        using var scope = NewDisposeScope();
        var samples = Vec(ScalarType.Float32, 1.0, 2.0, 3.0, 4.0);
        var normalizer = RewardNormalizer.Fit(samples);
        // mean 2.5; population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
        Assert.Equal(2.5, normalizer.Mean, 12);
        Assert.Equal(Math.Sqrt(1.25), normalizer.Std, 12);
        var normalized = Values(normalizer.Apply(samples));
        Close(new[] { -1.5, -0.5, 0.5, 1.5 }.Select(x => x / Math.Sqrt(1.25)).ToArray(), normalized, ScalarType.Float32, "normalized");
        Assert.Equal((7.0 - 2.5) / Math.Sqrt(1.25), normalizer.Apply(7.0), 12);
        Assert.Equal(3.0, RewardNormalizer.Identity.Apply(3.0));
    }

    [Fact]
    public void Normalizer_refuses_constant_or_too_few_samples()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<UserError>(() => RewardNormalizer.Fit(Vec(ScalarType.Float64, 0.3, 0.3, 0.3)));
        Assert.Throws<UserError>(() => RewardNormalizer.Fit(Vec(ScalarType.Float64, 1.0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RewardNormalizer(0.0, 0.0));
    }
}
