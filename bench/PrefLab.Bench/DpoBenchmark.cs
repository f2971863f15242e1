using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Dpo;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Bench;

/// <summary>
/// DPO step time and peak memory on <c>world-base</c> with reference log-probs precomputed and cached (one model
/// in memory while training) against a live reference model (<c>--ref-cache off</c>: two models, and a reference
/// forward pass every micro-batch). Each mode runs in its own child process so its peak is its own:
/// peak memory = VmHWM from /proc/self/status (the process's resident-set high-water mark: managed heap, native
/// tensors and code), also the largest VmRSS seen after a step and the managed heap. Step time is the median
/// wall time between consecutive optimizer steps after the first (the paper's batch: 8 pairs x 4 accumulated),
/// the reference pass is timed separately. Random weights on a small Preference World's pairwise data.
/// </summary>
public sealed class DpoBenchmark : IBenchmark
{
    public const string ChildFlag = "--dpo-child";
    const string Preset = "world-base";
    const int Steps = 8;

    public string Name => "dpo-world-base";
    public string Description => $"DPO step time and peak memory of {Preset}, cached reference vs live reference (child processes)";

    public JsonObject Run(BenchContext context)
    {
        var workspace = BenchWorkspace.Create("dpo");
        string root = workspace.Root, world = workspace.World;
        try
        {
            string model = workspace.RandomModel(Preset);
            string data = Path.Combine(world, "preferences", "pairwise.jsonl");
            var cached = Child("cached", model, data, Path.Combine(root, "cached"), Path.Combine(root, "cache"));
            var live = Child("live", model, data, Path.Combine(root, "live"), ReferenceCache.Off);
            double Get(JsonObject o, string name) => o[name]!.GetValue<double>();
            var result = new JsonObject
            {
                ["cached"] = cached,
                ["live"] = live,
                ["step_time_ratio_live_over_cached"] = Get(live, "step_seconds_median") / Get(cached, "step_seconds_median"),
                ["peak_memory_ratio_live_over_cached"] = Get(live, "peak_rss_mb") / Get(cached, "peak_rss_mb"),
                ["figures"] = new JsonObject
                {
                    ["cached_ref.step_ratio"] = Get(cached, "step_seconds_median") / Get(live, "step_seconds_median"),
                    ["cached_ref.memory_ratio"] = Get(cached, "peak_rss_mb") / Get(live, "peak_rss_mb"),
                    [$"peak_mb.dpo_cached.{Preset}"] = Get(cached, "peak_rss_mb"),
                    [$"peak_mb.dpo_live.{Preset}"] = Get(live, "peak_rss_mb"),
                },
            };
            foreach (var (mode, r) in new[] { ("cached", cached), ("live", live) })
                Console.WriteLine($"  {mode,-6}: step {Get(r, "step_seconds_median"):F3} s median ({Get(r, "step_seconds_best"):F3} best), " +
                    $"reference pass {Get(r, "reference_pass_seconds"):F1} s, peak RSS {Get(r, "peak_rss_mb"):F0} MB " +
                    $"(max after a step {Get(r, "max_step_rss_mb"):F0} MB, managed {Get(r, "managed_mb"):F1} MB)");
            Console.WriteLine($"  live / cached: step time x{Get(result, "step_time_ratio_live_over_cached"):F2}, peak memory x{Get(result, "peak_memory_ratio_live_over_cached"):F2}");
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }

    // Runs one mode in a fresh process (this executable with ChildFlag) and parses the JSON line it prints last.
    static JsonObject Child(string mode, string model, string data, string output, string refCache) =>
        ChildProcess.Run(ChildFlag, [mode, model, data, output, refCache], mode);

    /// <summary>The child: one DPO run, then its measurements as one JSON line.</summary>
    public static int RunChild(string[] args)
    {
        var (mode, model, data, output, refCache) = (args[0], args[1], args[2], args[3], args[4]);
        TorchRuntime.EnsureLoaded();
        if (args.Length > 5 && int.TryParse(args[5], out int threads)) TorchRuntime.SetThreads(threads);
        PrefLab.Runtime.Console.ProgressReporter.Quiet = true;
        var stepEnds = new List<double>();
        double maxStepRss = 0;
        var clock = Stopwatch.StartNew();
        DpoJob.Run(new DpoJobOptions
        {
            Model = model, Data = data, Output = output, RefCache = refCache, MaxLength = 128,
            Training = DpoJob.PaperTraining with { MaxSteps = Steps, Lr = 1e-5 },
            AfterStep = _ =>
            {
                stepEnds.Add(clock.Elapsed.TotalSeconds);
                maxStepRss = Math.Max(maxStepRss, ProcessMemory.ResidentMb);
            },
        });
        var steps = stepEnds.Zip(stepEnds.Skip(1), (a, b) => b - a).Order().ToList();
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunDirectory.RunFile)))!;
        double referenceSeconds = run["reference"]?["train"]?["seconds"]?.GetValue<double>() ?? 0;
        var result = new JsonObject
        {
            ["mode"] = mode,
            ["steps"] = Steps,
            ["effective_batch"] = DpoJob.PaperTraining.EffectiveBatch,
            ["step_seconds_median"] = steps[steps.Count / 2],
            ["step_seconds_best"] = steps[0],
            ["reference_pass_seconds"] = referenceSeconds,
            ["peak_rss_mb"] = ProcessMemory.PeakMb,
            ["max_step_rss_mb"] = maxStepRss,
            ["managed_mb"] = GC.GetTotalMemory(false) / 1048576.0,
        };
        Console.WriteLine(result.ToJsonString());
        return 0;
    }
}
