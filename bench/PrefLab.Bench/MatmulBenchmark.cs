using System.Text.Json.Nodes;
using PrefLab.Runtime;
using TorchSharp;

namespace PrefLab.Bench;

/// <summary>The matmul peak at 1 and at all threads, fp32 and bf16: the denominators of MFU.</summary>
public sealed class MatmulBenchmark : IBenchmark
{
    public string Name => "matmul";
    public string Description => "fp32/bf16 matrix-multiply GFLOP/s (best and median of trials) at 1 thread and all threads";

    public JsonObject Run(BenchContext context)
    {
        var result = new JsonObject();
        int all = TorchRuntime.Threads;
        foreach (int threads in new[] { 1, all }.Distinct())
        {
            TorchRuntime.SetThreads(threads);
            foreach (var dtype in new[] { torch.ScalarType.Float32, torch.ScalarType.BFloat16 })
            {
                var r = MatmulPeak.Measure(dtype, trials: 11);
                Console.WriteLine($"  threads {threads}  {dtype,-9} {r.Size}x{r.Size}  best {r.BestGflops,7:F1}  median {r.MedianGflops,7:F1} GFLOP/s");
                result[$"{dtype}_threads{threads}"] = new JsonObject
                {
                    ["size"] = r.Size, ["best_gflops"] = r.BestGflops, ["median_gflops"] = r.MedianGflops,
                };
            }
        }
        TorchRuntime.SetThreads(all);
        return result;
    }
}
