using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Sft;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Bench;

/// <summary>
/// Peak memory of <c>sft</c> on <c>llama-30m</c> (untied, ~27M non-embedding parameters) with full fine-tuning
/// against LoRA (r 16, alpha 32, all-linear; the base frozen, so no gradients or AdamW moments for it), each in its
/// own child process: peak RSS = VmHWM (/proc/self/status), also the largest VmRSS after a step; the step time is
/// reported for information. Random weights on the small Preference World's SFT conversations, batch 4, 128 tokens.
/// </summary>
public sealed class LoraMemoryBenchmark : IBenchmark
{
    public const string ChildFlag = "--lora-child";
    const string Preset = "llama-30m";
    const int Steps = 4;

    public string Name => "lora-memory";
    public string Description => $"`sft` of {Preset}: peak memory and step time, full fine-tuning vs LoRA r 16 all-linear (child processes)";

    public JsonObject Run(BenchContext context)
    {
        var workspace = BenchWorkspace.Create("lora");
        string root = workspace.Root, world = workspace.World;
        try
        {
            string model = workspace.RandomModel(Preset);
            string data = Path.Combine(world, "sft.jsonl");
            var full = Child("full", model, data, Path.Combine(root, "full"));
            var lora = Child("lora", model, data, Path.Combine(root, "lora"));
            double Get(JsonObject o, string name) => o[name]!.GetValue<double>();
            var result = new JsonObject
            {
                ["full"] = full,
                ["lora"] = lora,
                ["figures"] = new JsonObject
                {
                    [$"peak_mb.sft_full.{Preset}"] = Get(full, "peak_rss_mb"),
                    [$"peak_mb.sft_lora.{Preset}"] = Get(lora, "peak_rss_mb"),
                    [$"lora_memory_ratio.sft.{Preset}"] = Get(lora, "peak_rss_mb") / Get(full, "peak_rss_mb"),
                    [$"lora_step_ratio.sft.{Preset}"] = Get(lora, "step_seconds_median") / Get(full, "step_seconds_median"),
                },
            };
            foreach (var (mode, r) in new[] { ("full", full), ("lora", lora) })
                Console.WriteLine($"  {mode,-4}: trainable {Get(r, "trainable_parameters"):N0} of {Get(r, "parameters"):N0}, peak RSS {Get(r, "peak_rss_mb"):F0} MB " +
                    $"(max after a step {Get(r, "max_step_rss_mb"):F0} MB), step {Get(r, "step_seconds_median"):F2} s median");
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }

    static JsonObject Child(string mode, string model, string data, string output) =>
        ChildProcess.Run(ChildFlag, [mode, model, data, output], mode);

    /// <summary>The child: one SFT run (full or LoRA), then its measurements as one JSON line.</summary>
    public static int RunChild(string[] args)
    {
        var (mode, model, data, output) = (args[0], args[1], args[2], args[3]);
        TorchRuntime.EnsureLoaded();
        if (args.Length > 4 && int.TryParse(args[4], out int threads)) TorchRuntime.SetThreads(threads);
        PrefLab.Runtime.Console.ProgressReporter.Quiet = true;
        var stepEnds = new List<double>();
        double maxStepRss = 0;
        var clock = Stopwatch.StartNew();
        SftJob.Run(new SftJobOptions
        {
            Mode = LanguageModelingMode.Sft, Model = model, Data = data, Output = output, MaxLength = 128,
            Lora = mode == "lora" ? new LoraConfig { R = 16, Alpha = 32, TargetModules = new[] { LoraConfig.AllLinear } } : null,
            Training = new TrainingOptions { Lr = 1e-4, BatchSize = 4, MaxSteps = Steps, Seed = 1 },
            AfterStep = _ =>
            {
                stepEnds.Add(clock.Elapsed.TotalSeconds);
                maxStepRss = Math.Max(maxStepRss, ProcessMemory.ResidentMb);
            },
        });
        var steps = stepEnds.Zip(stepEnds.Skip(1), (a, b) => b - a).Order().ToList();
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunDirectory.RunFile)))!;
        long parameters = run["model"]!["parameters"]!.GetValue<long>();
        var result = new JsonObject
        {
            ["mode"] = mode,
            ["steps"] = Steps,
            ["parameters"] = parameters,
            ["trainable_parameters"] = run["lora"]?["trainable_parameters"]?.GetValue<long>() ?? parameters,
            ["step_seconds_median"] = steps[steps.Count / 2],
            ["peak_rss_mb"] = ProcessMemory.PeakMb,
            ["max_step_rss_mb"] = maxStepRss,
        };
        Console.WriteLine(result.ToJsonString());
        return 0;
    }
}
