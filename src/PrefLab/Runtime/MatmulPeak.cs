using System.Diagnostics;
using static TorchSharp.torch;

namespace PrefLab.Runtime;

/// <summary>
/// Measures this machine's matrix-multiply rate, the denominator of every MFU figure. On a shared machine
/// single trials vary by a third, so the peak is the best of several short trials.
/// </summary>
public static class MatmulPeak
{
    public sealed record Result(ScalarType DType, int Size, int Trials, double BestGflops, double MedianGflops);

    /// <param name="size">Largest square size tried; 1024 keeps one fp32 product near 15 ms on 2 cores. A dtype
    /// the CPU only emulates (bf16 without AVX-512 BF16 runs ~100x slower) is measured on smaller matrices, so
    /// the measurement stays short; the size used is in the result.</param>
    /// <param name="trials">Timed trials; each multiplies enough times to last about <paramref name="trialSeconds"/>.</param>
    public static Result Measure(ScalarType dtype, int size = 1024, int trials = 7, double trialSeconds = 0.15)
    {
        TorchRuntime.EnsureLoaded();
        while (size > 128 && SecondsPerProduct(dtype, size) > trialSeconds) size /= 2;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(0);
        var a = randn(new long[] { size, size }, generator: generator).to(dtype);
        var b = randn(new long[] { size, size }, generator: generator).to(dtype);
        double flopsPerProduct = 2.0 * size * size * size;

        // Warm up and find how many products make one trial.
        var clock = Stopwatch.StartNew();
        a.mm(b).Dispose();
        clock.Restart();
        a.mm(b).Dispose();
        double once = Math.Max(clock.Elapsed.TotalSeconds, 1e-4);
        int repeats = Math.Clamp((int)(trialSeconds / once), 1, 1000);

        var rates = new List<double>();
        for (int t = 0; t < trials; t++)
        {
            clock.Restart();
            for (int r = 0; r < repeats; r++) a.mm(b).Dispose();
            rates.Add(flopsPerProduct * repeats / clock.Elapsed.TotalSeconds / 1e9);
        }
        rates.Sort();
        return new Result(dtype, size, trials, rates[^1], rates[rates.Count / 2]);
    }

    static double SecondsPerProduct(ScalarType dtype, int size)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = ones(new long[] { size, size }, dtype);
        var clock = Stopwatch.StartNew();
        a.mm(a).Dispose();
        return clock.Elapsed.TotalSeconds;
    }
}
