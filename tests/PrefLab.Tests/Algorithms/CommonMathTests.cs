using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class CommonMathTests
{
    public CommonMathTests() => Load();

    [Theory]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float64, false)]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    public void Masked_sum_and_mean_golden_with_an_empty_row_giving_zero(ScalarType dtype, bool boolMask)
    {
        using var scope = NewDisposeScope();
        // Masked positions hold NaN and infinity: they must not reach any result.
        var values = Mat(dtype, new[,] { { 1.0, 2.0, double.NaN }, { double.PositiveInfinity, 5.0, 6.0 }, { 7.0, 8.0, 9.0 } });
        var mask = boolMask
            ? BoolMat(new[,] { { true, true, false }, { false, false, false }, { true, true, true } })
            : Mat(dtype, new[,] { { 1.0, 1.0, 0.0 }, { 0.0, 0.0, 0.0 }, { 1.0, 1.0, 1.0 } });
        // Row sums: 1+2 = 3; empty = 0; 7+8+9 = 24. Row means: 3/2 = 1.5; empty -> 0 (not NaN); 24/3 = 8.
        Close(new[] { 3.0, 0.0, 24.0 }, Values(Masked.Sum(values, mask, -1)), dtype, "row sums");
        Close(new[] { 1.5, 0.0, 8.0 }, Values(Masked.Mean(values, mask, -1)), dtype, "row means");
        // Whole tensor: (3 + 24) / 5 selected = 5.4.
        Close(27.0, Scalar(Masked.Sum(values, mask)), dtype, "sum");
        Close(5.4, Scalar(Masked.Mean(values, mask)), dtype, "mean");
        Close(new[] { 2.0, 0.0, 3.0 }, Values(Masked.Count(mask, dtype, -1)), dtype, "counts");
        Assert.Equal(new long[] { 2, 0, 3 }, Sequences.Lengths(mask).data<long>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Masked_mean_of_an_all_empty_mask_is_zero_with_finite_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var values = LeafMat(dtype, new[,] { { 1.0, 2.0 } });
        var mask = Mat(dtype, new[,] { { 0.0, 0.0 } });
        var mean = Masked.Mean(values, mask);
        Assert.Equal(0.0, Scalar(mean));
        mean.backward();
        Assert.Equal(new[] { 0.0, 0.0 }, Grad(values));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Masked_variance_and_whitening_golden(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var values = Mat(dtype, new[,] { { 1.0, 2.0, 1000.0 }, { 3.0, 4.0, double.NaN } });
        var mask = Mat(dtype, new[,] { { 1.0, 1.0, 0.0 }, { 1.0, 1.0, 0.0 } });
        // Selected 1, 2, 3, 4: mean 2.5; Σ(v - mean)² = 2.25 + 0.25 + 0.25 + 2.25 = 5;
        // unbiased variance 5/3 (TRL's Bessel correction), biased 5/4.
        Close(5.0 / 3.0, Scalar(Masked.Variance(values, mask)), dtype, "unbiased");
        Close(1.25, Scalar(Masked.Variance(values, mask, unbiased: false)), dtype, "biased");
        double scale = 1.0 / Math.Sqrt(5.0 / 3.0 + 1e-8);
        double[] expected = { -1.5 * scale, -0.5 * scale, 0.0, 0.5 * scale, 1.5 * scale, 0.0 };
        Close(expected, Values(Masked.Whiten(values, mask)), dtype, "whitened");
        // shift_mean = false adds the mean back (scale only); masked positions stay 0.
        double[] scaleOnly = { -1.5 * scale + 2.5, -0.5 * scale + 2.5, 0.0, 0.5 * scale + 2.5, 1.5 * scale + 2.5, 0.0 };
        Close(scaleOnly, Values(Masked.Whiten(values, mask, shiftMean: false)), dtype, "scale only");
    }

    [Fact]
    public void Whitening_gradient_is_finite_and_zero_at_masked_garbage()
    {
        using var scope = NewDisposeScope();
        var values = LeafMat(ScalarType.Float64, new[,] { { 1.0, 2.0, double.NaN }, { 3.0, 4.0, double.PositiveInfinity } });
        var mask = BoolMat(new[,] { { true, true, false }, { true, true, false } });
        var weights = Mat(ScalarType.Float64, new[,] { { 1.0, -2.0, 5.0 }, { 0.5, 3.0, 7.0 } });
        (Masked.Whiten(values, mask) * weights).sum().backward();
        var grad = Grad(values);
        Assert.All(grad, g => Assert.True(double.IsFinite(g)));
        Assert.Equal(0.0, grad[2]);
        Assert.Equal(0.0, grad[5]);
        Assert.NotEqual(0.0, grad[0]);
    }

    [Fact]
    public void Variance_of_a_single_selected_element_is_zero_not_infinite()
    {
        using var scope = NewDisposeScope();
        var values = Mat(ScalarType.Float64, new[,] { { 4.0, 9.0 } });
        var mask = Mat(ScalarType.Float64, new[,] { { 1.0, 0.0 } });
        Assert.Equal(0.0, Scalar(Masked.Variance(values, mask)));
        // The lone element equals the mean: whitened 0.
        Assert.Equal(new[] { 0.0, 0.0 }, Values(Masked.Whiten(values, mask)));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Token_log_probs_at_a_temperature_match_the_definition_and_its_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        double[] row0 = { 1.0, 2.0, 0.5, -1.0 }, row1 = { 0.3, -0.2, 2.5, 0.0 };
        var logits = tensor(row0.Concat(row1).ToArray(), new long[] { 1, 2, 4 }, dtype: dtype).requires_grad_(true);
        var labels = Ids(new long[,] { { 1, 3 } });
        const double temperature = 0.7;
        var logps = TokenLogProbs.Gather(logits, labels, temperature);
        Close(new[] { LogSoftmax(row0, 1, temperature), LogSoftmax(row1, 3, temperature) }, Values(logps), dtype, "logps");
        // d log p_y / d z_v = (1[v = y] - p_v) / T.
        logps.sum().backward();
        var expected = new double[8];
        for (int v = 0; v < 4; v++)
        {
            expected[v] = ((v == 1 ? 1 : 0) - Math.Exp(LogSoftmax(row0, v, temperature))) / temperature;
            expected[4 + v] = ((v == 3 ? 1 : 0) - Math.Exp(LogSoftmax(row1, v, temperature))) / temperature;
        }
        Close(expected, Grad(logits), dtype, "gradient");
        // The input logits are not modified (OpenRLHF divides them in place).
        Close(row0.Concat(row1).ToArray(), Values(logits), dtype, "logits untouched");
    }

    [Fact]
    public void Completion_log_probs_follow_the_shift_convention()
    {
        using var scope = NewDisposeScope();
        // Input ids [p0, p1, c0, c1]; completion mask marks c0, c1. The logits at position t predict id t+1, so the
        // scored pairs are (logits[1], c0) and (logits[2], c1); logits[3] predicts beyond the sequence and is unused.
        double[][] rows = { new[] { 0.1, 0.2, 0.3, 0.4, 0.5 }, new[] { 1.0, -1.0, 0.0, 2.0, 0.5 }, new[] { -0.5, 0.5, 1.5, 0.0, -2.0 }, new[] { 9.0, 9.0, 9.0, 9.0, 9.0 } };
        var logits = tensor(rows.SelectMany(r => r).ToArray(), new long[] { 1, 4, 5 }, dtype: ScalarType.Float64);
        var ids = Ids(new long[,] { { 4, 0, 3, 2 } });
        var completionMask = Ids(new long[,] { { 0, 0, 1, 1 } });
        var result = TokenLogProbs.OfCompletion(logits, ids, completionMask, temperature: 1.0);
        Assert.Equal(new long[] { 1, 3 }, result.LogProbs.shape);
        Assert.Equal(new long[] { 0, 1, 1 }, result.Mask.data<long>().ToArray());
        // Position 0 (logits[0] predicting id 0, a prompt token) is masked to 0.
        Close(new[] { 0.0, LogSoftmax(rows[1], 3), LogSoftmax(rows[2], 2) }, Values(result.LogProbs), ScalarType.Float64, "shifted");
        Close(LogSoftmax(rows[1], 3) + LogSoftmax(rows[2], 2), Scalar(Sequences.LogProb(result.LogProbs, result.Mask)), ScalarType.Float64, "sequence");
        Close((LogSoftmax(rows[1], 3) + LogSoftmax(rows[2], 2)) / 2, Scalar(Sequences.MeanLogProb(result.LogProbs, result.Mask)), ScalarType.Float64, "average");
    }

    [Fact]
    public void Changing_a_masked_logit_changes_no_output_or_gradient()
    {
        using var scope = NewDisposeScope();
        var ids = Ids(new long[,] { { 1, 2, 0 } });
        var completionMask = Ids(new long[,] { { 0, 1, 0 } });  // only id 2 at position 1 is scored, by logits[0]
        double[] baseLogits = { 0.5, -1.0, 2.0, 0.1, 0.2, 0.3, 0.7, 0.7, 0.7 };
        double[] changedLogits = (double[])baseLogits.Clone();
        changedLogits[3] = 50.0;                                  // logits[1] predict the unscored position 2
        changedLogits[7] = double.NaN;                            // logits[2] predict beyond the sequence
        double[] Run(double[] raw, out double[] gradient)
        {
            var logits = tensor(raw, new long[] { 1, 3, 3 }, dtype: ScalarType.Float64).requires_grad_(true);
            var result = TokenLogProbs.OfCompletion(logits, ids, completionMask, 0.7);
            var sequence = Sequences.LogProb(result.LogProbs, result.Mask);
            sequence.sum().backward();
            gradient = Grad(logits).Take(3).ToArray();
            return Values(sequence);
        }
        var a = Run(baseLogits, out var gradientA);
        var b = Run(changedLogits, out var gradientB);
        Assert.Equal(a, b);
        Assert.Equal(gradientA, gradientB);
        Close(LogSoftmax(new[] { 0.5, -1.0, 2.0 }, 2, 0.7), a[0], ScalarType.Float64, "sequence log-prob");
    }

    [Fact]
    public void Masked_labels_may_be_out_of_vocabulary()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new double[] { 0.0, 1.0, 0.5, 0.2 }, new long[] { 1, 2, 2 }, dtype: ScalarType.Float64);
        var labels = Ids(new long[,] { { 1, -100 } });
        var mask = Ids(new long[,] { { 1, 0 } });
        Close(new[] { LogSoftmax(new[] { 0.0, 1.0 }, 1), 0.0 }, Values(TokenLogProbs.Gather(logits, labels, mask)), ScalarType.Float64, "logps");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Entropy_golden_including_a_banned_token(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // z = [0, ln 2, -inf]: p = [1/3, 2/3, 0]; H = -(1/3 ln 1/3 + 2/3 ln 2/3) = ln 3 - (2/3) ln 2 = 0.636514168294813.
        double[] banned = { 0.0, Math.Log(2.0), double.NegativeInfinity };
        double[] plain = { 1.0, -0.5, 2.0 };
        var logits = tensor(banned.Concat(plain).ToArray(), new long[] { 1, 2, 3 }, dtype: dtype).requires_grad_(true);
        var entropy = TokenLogProbs.Entropy(logits);
        Close(new[] { Math.Log(3.0) - 2.0 / 3.0 * Math.Log(2.0), Entropy(plain) }, Values(entropy), dtype, "T=1");
        entropy.sum().backward();
        Assert.All(Grad(logits), g => Assert.True(double.IsFinite(g)));
        Close(new[] { Entropy(banned, 2.0), Entropy(plain, 2.0) }, Values(TokenLogProbs.Entropy(logits, 2.0)), dtype, "T=2");
        // Mean over a mask selecting only the second position.
        var mask = Ids(new long[,] { { 0, 1 } });
        Close(Entropy(plain, 0.7), Scalar(Masked.Mean(TokenLogProbs.Entropy(logits, 0.7), mask)), dtype, "masked mean");
    }

    [Fact]
    public void Last_index_finds_the_last_selected_token_and_refuses_an_empty_row()
    {
        using var scope = NewDisposeScope();
        var mask = Ids(new long[,] { { 1, 1, 1, 0 }, { 1, 1, 1, 1 }, { 1, 0, 0, 0 } });
        Assert.Equal(new long[] { 2, 3, 0 }, Sequences.LastIndex(mask).data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => Sequences.LastIndex(Ids(new long[,] { { 1, 0 }, { 0, 0 } })));
        Assert.True(Masks.IsRightPadded(mask));
        Assert.False(Masks.IsRightPadded(Ids(new long[,] { { 0, 1, 1 } })));
    }

    [Fact]
    public void Temperature_must_be_positive()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(1, 1, 3);
        var labels = zeros(1, 1, ScalarType.Int64);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbs.Gather(logits, labels, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbs.Entropy(logits, -1.0));
    }
}
