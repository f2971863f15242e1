using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Bench;

/// <summary>A named measurement that prints a table and returns its figures as JSON.</summary>
public interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    JsonObject Run(BenchContext context);
}

/// <summary>What every benchmark may use: the machine's measured matmul peak (the MFU denominator), threads.</summary>
public sealed class BenchContext
{
    readonly Lazy<double> fp32Peak = new(() => MatmulPeak.Measure(TorchSharp.torch.ScalarType.Float32).BestGflops);
    readonly Lazy<double> bf16Peak = new(() => MatmulPeak.Measure(TorchSharp.torch.ScalarType.BFloat16).BestGflops);

    public double Fp32PeakGflops => fp32Peak.Value;
    public double Bf16PeakGflops => bf16Peak.Value;

    /// <summary>Model FLOPs utilisation: achieved model FLOP/s over the measured fp32 peak.</summary>
    public double Mfu(double modelFlopsPerSecond) => modelFlopsPerSecond / (Fp32PeakGflops * 1e9);
}

public static class BenchmarkRunner
{
    static IReadOnlyList<IBenchmark> All() => new IBenchmark[]
    {
        new MatmulBenchmark(),
        new ModelTrainingBenchmark("world-base"),
        new ModelTrainingBenchmark("llama-30m"),
        new ModelTrainingBenchmark("world-small", batch: 16, length: 128, vocab: 2048),
        new ModelTrainingBenchmark("world-small", batch: 16, length: 128, vocab: 2048, bf16: true),
        new ModelTrainingBenchmark("world-small", batch: 16, length: 121, vocab: 465),
        new ModelTrainingBenchmark("world-small", batch: 16, length: 121, vocab: 465, bf16: true),
        new ModelTrainingBenchmark("world-base", bf16: true),
        new ModelTrainingBenchmark("llama-30m", bf16: true),
        new SftBenchmark("world-base", steps: 30),
        new SftBenchmark("llama-30m", steps: 12),
        new DecodeBenchmark("world-base"),
        new DpoBenchmark(),
        new LoraMemoryBenchmark(),
        new CheckpointMemoryBenchmark(),
        new PpoStepBenchmark("world-base"),
        new PlainLoopBenchmark(),
        new QwenShapeBenchmark(),
        new ServeBenchmark(),
        new DataParallelBenchmark(),
    };

    /// <summary>The values of <c>PREFIXa,b</c>, each one of <paramref name="allowed"/> (an error names the option), or
    /// null when <paramref name="arg"/> is another argument.</summary>
    static IReadOnlyList<string>? ListOption(string arg, string prefix, string[] allowed)
    {
        if (!arg.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var values = arg[prefix.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? bad = values.FirstOrDefault(v => !allowed.Contains(v));
        if (values.Length == 0 || bad is not null)
            throw new ArgumentException($"{prefix.TrimEnd('=')}: give some of {string.Join(", ", allowed)}, comma-separated{(bad is null ? "" : $"; not '{bad}'")}");
        return values;
    }

    public static int Run(string[] args)
    {
        TorchRuntime.EnsureLoaded();
        var benchmarks = All();
        if (args.Contains("--list") || args.Contains("--help"))
        {
            foreach (var b in benchmarks) Console.WriteLine($"{b.Name,-24} {b.Description}");
            return 0;
        }
        foreach (string arg in args)
        {
            if (ListOption(arg, "--qwen-stages=", ["dpo_reference", "dpo", "ppo"]) is { } stages) QwenShapeBenchmark.Stages = stages;
            else if (ListOption(arg, "--qwen-chunks=", ["auto", "off", QwenShapeBenchmark.Checkpointed]) is { } chunks) QwenShapeBenchmark.Chunks = chunks;
            else if (ListOption(arg, "--plain-stages=", PlainLoopBenchmark.AllStages) is { } plain) PlainLoopBenchmark.Stages = plain;
        }
        var names = args.Where(a => !a.StartsWith('-')).ToList();
        var chosen = names.Count == 0 ? benchmarks : benchmarks.Where(b => names.Contains(b.Name)).ToList();
        var unknown = args.Where(a => !a.StartsWith('-') && benchmarks.All(b => b.Name != a)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown benchmark(s): {string.Join(", ", unknown)}; --list shows them");
            return 2;
        }
        var context = new BenchContext();
        var results = new JsonObject
        {
            ["machine"] = JsonValues.From(MachineInfo.Read().ToString()),
            ["threads"] = TorchRuntime.Threads,
        };
        // The headline figures of every benchmark, flat under stable names (ratio_vs_plain_loop.<stage>.<shape>, ...).
        var figures = new JsonObject();
        results["figures"] = figures;
        foreach (var benchmark in chosen)
        {
            Console.WriteLine($"== {benchmark.Name}: {benchmark.Description}");
            var result = benchmark.Run(context);
            results[benchmark.Name] = result;
            if (result["figures"] is JsonObject own)
                foreach (var (name, value) in own) figures[name] = value?.DeepClone();
        }
        figures["fp32_peak_gflops"] = context.Fp32PeakGflops;
        string path = Path.Combine(ResultsFolder, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        AtomicFile.WriteAllText(path, results.ToJsonString(JsonOptions.Indented) + "\n");
        Console.WriteLine($"results: {path}");
        return 0;
    }

    /// <summary>The repository's bench/results, wherever the benchmarks were started from (the nearest parent folder
    /// holding bench/PrefLab.Bench); the current folder's bench/results when none does.</summary>
    internal static string ResultsFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "bench", "PrefLab.Bench"))) return Path.Combine(dir.FullName, "bench", "results");
            return Path.Combine("bench", "results");
        }
    }
}
