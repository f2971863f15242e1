using PrefLab.Runtime;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

/// <summary>
/// Tensor builders, readers and tolerances for the algorithm tests, plus scalar double-precision references written
/// independently of the code under test (plain loops over doubles, no tensors).
/// </summary>
static class Kit
{
    public static void Load() => TorchRuntime.EnsureLoaded();

    public static Tensor Vec(ScalarType dtype, params double[] values) => tensor(values, dtype: dtype);

    // requires_grad_ after the conversion: tensor(double[], dtype: Float32, requires_grad: true) returns a converted, non-leaf tensor whose .grad stays empty.
    public static Tensor Leaf(ScalarType dtype, params double[] values) => tensor(values, dtype: dtype).requires_grad_(true);

    public static Tensor Mat(ScalarType dtype, double[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) flat[i * columns + j] = values[i, j];
        return tensor(flat, rows, columns, dtype: dtype);
    }

    public static Tensor LeafMat(ScalarType dtype, double[,] values) => Mat(dtype, values).requires_grad_(true);

    public static Tensor BoolMat(bool[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new bool[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) flat[i * columns + j] = values[i, j];
        return tensor(flat, new long[] { rows, columns });
    }

    public static Tensor Ids(long[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new long[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) flat[i * columns + j] = values[i, j];
        return tensor(flat, rows, columns);
    }

    public static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static double Scalar(Tensor t) => t.detach().to_type(ScalarType.Float64).item<double>();

    public static double[] Grad(Tensor leaf)
    {
        using var grad = leaf.grad ?? throw new Xunit.Sdk.XunitException("no gradient reached the input");
        return Values(grad);
    }

    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? 1e-12 : 2e-6;

    public static void Close(double expected, double actual, ScalarType dtype, string what = "")
    {
        double tolerance = Tolerance(dtype) * Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(expected - actual):E3} > {tolerance:E1}, {dtype})");
    }

    public static void Close(double[] expected, double[] actual, ScalarType dtype, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], dtype, $"{what}[{i}]");
    }

    // ---- scalar references (doubles only) ----

    public static double Sigmoid(double x) => x >= 0 ? 1.0 / (1.0 + Math.Exp(-x)) : Math.Exp(x) / (1.0 + Math.Exp(x));

    /// <summary>log(1 + e^x), stable.</summary>
    public static double Softplus(double x) => x > 0 ? x + Math.Log(1.0 + Math.Exp(-x)) : Math.Log(1.0 + Math.Exp(x));

    public static double LogSigmoid(double x) => -Softplus(-x);

    /// <summary>log_softmax(z / T)[y] by the definition: z_y/T - log Σ_v exp(z_v/T), shifted by the max.</summary>
    public static double LogSoftmax(double[] logits, int label, double temperature = 1.0)
    {
        double max = double.NegativeInfinity;
        foreach (double z in logits) max = Math.Max(max, z / temperature);
        double sum = 0;
        foreach (double z in logits) sum += Math.Exp(z / temperature - max);
        return logits[label] / temperature - max - Math.Log(sum);
    }

    /// <summary>-Σ p log p of softmax(z / T), skipping p = 0.</summary>
    public static double Entropy(double[] logits, double temperature = 1.0)
    {
        double entropy = 0;
        for (int v = 0; v < logits.Length; v++)
        {
            if (double.IsNegativeInfinity(logits[v])) continue;
            double logp = LogSoftmax(logits, v, temperature);
            entropy -= Math.Exp(logp) * logp;
        }
        return entropy;
    }

    /// <summary>GAE for one right-padded row of length <paramref name="length"/>: backward recursion over doubles.</summary>
    public static (double[] Advantages, double[] Returns) ScalarGae(double[] rewards, double[] values, int length, double gamma, double lambda)
    {
        var advantages = new double[rewards.Length];
        var returns = new double[rewards.Length];
        double running = 0;
        for (int t = length - 1; t >= 0; t--)
        {
            double next = t + 1 < length ? values[t + 1] : 0.0;
            double delta = rewards[t] + gamma * next - values[t];
            running = delta + gamma * lambda * running;
            advantages[t] = running;
            returns[t] = running + values[t];
        }
        return (advantages, returns);
    }

    /// <summary>PPO's per-token clipped policy loss max(-A ρ, -A clip(ρ)) and whether the clipped term is strictly larger.</summary>
    public static (double Loss, bool Clipped) PolicyToken(double newLogp, double oldLogp, double advantage, double clip)
    {
        double ratio = Math.Exp(newLogp - oldLogp);
        double unclipped = -advantage * ratio;
        double clipped = -advantage * Math.Min(Math.Max(ratio, 1 - clip), 1 + clip);
        return (Math.Max(unclipped, clipped), clipped > unclipped);
    }

    /// <summary>k3 = exp(ref - logp) - 1 - (ref - logp).</summary>
    public static double K3(double logp, double refLogp) => Math.Exp(refLogp - logp) - 1.0 - (refLogp - logp);
}
