using PrefLab.Algorithms.GroupRl;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

/// <summary>
/// RLOO's loss treats the completion as one action: ρ_i = exp(Σ_t new - Σ_t old), ℓ_i = max(-A_i ρ_i,
/// -A_i clip(ρ_i, 1±ε)), loss = mean_i ℓ_i. The expected values below are computed from that formula in doubles,
/// independently of the tensor code.
/// </summary>
public class RlooLossTests
{
    public RlooLossTests() => Load();

    // Three sequences of 3, 1 and 2 response tokens (mask), ε = 0.2.
    static readonly double[,] New = { { -1.0, -0.5, -2.0 }, { -0.3, -9.0, -9.0 }, { -1.2, -0.4, -9.0 } };
    static readonly double[,] Old = { { -1.1, -0.6, -2.0 }, { -0.1, -5.0, -5.0 }, { -1.0, -0.5, -3.0 } };
    static readonly bool[,] Mask = { { true, true, true }, { true, false, false }, { true, true, false } };
    static readonly double[] Advantages = { 1.5, -2.0, 0.5 };
    const double Epsilon = 0.2;

    static (double Loss, double[] Ratios, double ClipFraction) Expected()
    {
        int rows = Advantages.Length;
        var ratios = new double[rows];
        double total = 0;
        int clipped = 0;
        for (int i = 0; i < rows; i++)
        {
            double logRatio = 0;
            for (int t = 0; t < 3; t++) if (Mask[i, t]) logRatio += New[i, t] - Old[i, t];
            double rho = Math.Exp(logRatio), a = Advantages[i];
            ratios[i] = rho;
            double unclipped = -a * rho, clip = -a * Math.Clamp(rho, 1 - Epsilon, 1 + Epsilon);
            total += Math.Max(unclipped, clip);
            if (clip > unclipped) clipped++;
        }
        return (total / rows, ratios, (double)clipped / rows);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Golden_sequence_ratio_clipped_surrogate_mean_over_sequences(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (loss, ratios, clipFraction) = Expected();
        // Sequence 0: log ρ = 0.1 + 0.1 + 0 = 0.2, ρ = 1.2214 > 1.2 and A > 0: clipped at 1.2 → ℓ = -1.8.
        // Sequence 1: log ρ = -0.2, ρ = 0.8187 (inside the clip) → ℓ = 2 · 0.8187. Sequence 2: log ρ = -0.1, ρ = 0.9048 → ℓ = -0.4524.
        Assert.Equal(-1.8, -Advantages[0] * 1.2, 12);
        var result = RlooPolicyLoss.Compute(LeafMat(dtype, New), Mat(dtype, Old), Vec(dtype, Advantages), BoolMat(Mask), Epsilon);
        Close(loss, result.Loss.to_type(ScalarType.Float64).item<double>(), dtype, "loss");
        Close(ratios, Values(result.Ratio), dtype, "ratios");
        Assert.Equal(clipFraction, result.ClipFraction, 12);
        Assert.Equal(1.0 / 3, clipFraction, 12);
    }

    [Fact]
    public void Every_token_of_an_unclipped_sequence_gets_the_same_gradient_whatever_its_length()
    {
        using var scope = NewDisposeScope();
        var newLogProbs = LeafMat(ScalarType.Float64, New);
        var result = RlooPolicyLoss.Compute(newLogProbs, Mat(ScalarType.Float64, Old), Vec(ScalarType.Float64, Advantages), BoolMat(Mask), Epsilon);
        result.Loss.backward();
        var grad = Values(newLogProbs.grad!);
        var (_, ratios, _) = Expected();
        // dℓ/d new_t = -A_i ρ_i / B on each masked token of an unclipped sequence (not divided by its length), 0 elsewhere;
        // the clipped sequence 0 gets no gradient.
        double[] expected =
        [
            0, 0, 0,
            2.0 * ratios[1] / 3, 0, 0,
            -0.5 * ratios[2] / 3, -0.5 * ratios[2] / 3, 0,
        ];
        Close(expected, grad, ScalarType.Float64, "gradient");

        // Negative control: the per-token mean (length-normalised REINFORCE) divides sequence 2's gradient by its 2 tokens.
        var perToken = LeafMat(ScalarType.Float64, New);
        GroupPolicyLoss.Compute(perToken, Mat(ScalarType.Float64, Old), null, Vec(ScalarType.Float64, Advantages), BoolMat(Mask), 0.0, Epsilon).Loss.backward();
        Assert.NotEqual(expected[6], Values(perToken.grad!)[6], 6);
    }
}
