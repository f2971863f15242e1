using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Common;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// What gradient checkpointing saves: forward + backward of the summed token log-probs of a random <c>world-base</c>
/// (vocabulary 512) and <c>llama-30m</c> (vocabulary 32,000; log-probs chunked, the default at this size) at
/// 8 x 512 tokens, plain and with
/// <c>CheckpointLayers</c>, each mode in its own child process (freed heap stays resident, so one process could not
/// measure the second mode's peak). Each child runs two passes: the first's peak above the resident size before it
/// (the model built; VmHWM reset through /proc/self/clear_refs) is one step's own memory (gradients, activations,
/// temporaries); the second is timed. glibc keeps freed blocks below its (dynamic, up to 32 MB) mmap threshold in
/// its arenas, so the resident high-water mark of a normal process says more about fragmentation than about what
/// was alive: the memory children run with <c>MALLOC_MMAP_THRESHOLD_=131072</c> (every block of 128 KB or more is
/// mapped and unmapped on its own, so RSS follows live memory; slower), and separate children with the default
/// allocator give the step times and the peak a user's process would see.
/// </summary>
public sealed class CheckpointMemoryBenchmark : IBenchmark
{
    public const string ChildFlag = "--checkpoint-child";
    // (preset, vocabulary): world-base, whose activations dominate (vocabulary 512), and llama-30m, whose 32,000-word
    // vocabulary makes the output projection a large share of a step.
    static readonly (string Preset, int Vocab)[] Shapes = [("world-base", 512), ("llama-30m", 32_000)];
    const int Rows = 8, Length = 512;

    public string Name => "checkpoint-memory";
    public string Description => $"forward+backward of world-base and llama-30m at {Rows} x {Length} tokens: peak memory and time, plain vs gradient checkpointing (child processes)";

    public JsonObject Run(BenchContext context)
    {
        var result = new JsonObject { ["rows"] = Rows, ["length"] = Length };
        var figures = new JsonObject();
        foreach (var (preset, vocab) in Shapes)
        {
            var modes = new Dictionary<string, JsonObject>();
            foreach (string mode in new[] { "plain", "checkpointed" })
                foreach (bool live in new[] { true, false })
                {
                    string key = live ? mode + ".live_memory" : mode;
                    modes[key] = Child(mode, preset, vocab, live);
                    result[$"{preset}.{key}"] = modes[key];
                    Console.WriteLine($"  {preset,-10} {key,-25}: {modes[key].ToJsonString()}");
                }
            double Get(string mode, string field) => modes[mode][field]!.GetValue<double>();
            figures[$"peak_mb.step_live.{preset}"] = Get("plain.live_memory", "step_peak_above_mb");
            figures[$"peak_mb.step_live_checkpointed.{preset}"] = Get("checkpointed.live_memory", "step_peak_above_mb");
            figures[$"checkpointed_memory_ratio.step_live.{preset}"] = Get("checkpointed.live_memory", "step_peak_above_mb") / Get("plain.live_memory", "step_peak_above_mb");
            figures[$"peak_mb.process.{preset}"] = Get("plain", "process_peak_mb");
            figures[$"peak_mb.process_checkpointed.{preset}"] = Get("checkpointed", "process_peak_mb");
            figures[$"checkpointed_memory_ratio.process.{preset}"] = Get("checkpointed", "process_peak_mb") / Get("plain", "process_peak_mb");
            figures[$"tokens_per_sec.step.{preset}"] = Get("plain", "tokens_per_sec");
            figures[$"tokens_per_sec.step_checkpointed.{preset}"] = Get("checkpointed", "tokens_per_sec");
            figures[$"checkpointed_time_ratio.step.{preset}"] = Get("checkpointed", "step_seconds") / Get("plain", "step_seconds");
        }
        result["figures"] = figures;
        foreach (var (name, value) in figures) Console.WriteLine($"  {name} = {value}");
        return result;
    }

    static JsonObject Child(string mode, string preset, int vocab, bool liveMemory) =>
        ChildProcess.Run(ChildFlag, [mode, preset, vocab.ToString(CultureInfo.InvariantCulture)], mode,
            new Dictionary<string, string?> { ["MALLOC_MMAP_THRESHOLD_"] = liveMemory ? "131072" : null });

    /// <summary>The child: two passes in one mode, then its measurements as one JSON line.</summary>
    public static int RunChild(string[] args)
    {
        bool checkpointed = args[0] == "checkpointed";
        TorchRuntime.EnsureLoaded();
        string preset = args[1];
        int vocab = int.Parse(args[2], CultureInfo.InvariantCulture);
        if (args.Length > 3 && int.TryParse(args[3], out int threads)) TorchRuntime.SetThreads(threads);
        using var model = CausalLM.Create(ModelPresets.Create(preset, new TokenizerFacts(vocab, 1, 2, 0)), seed: 1);
        model.Precision.CheckpointLayers = checkpointed;
        var generator = new Generator(3);
        var ids = randint(3, vocab, new long[] { Rows, Length }, dtype: ScalarType.Int64, generator: generator); // [B, T]
        var mask = ones(Rows, Length, dtype: ScalarType.Int64);
        // Pass 1 in a fresh heap: its peak above the resident size before it is the step's own memory (gradients,
        // activations, temporaries), free of what an earlier pass's freed heap would hide. Pass 2 is timed.
        GC.Collect();
        double before = ProcessMemory.ResidentMb, peak = 0, seconds = 0;
        ProcessMemory.ResetPeak();
        for (int pass = 0; pass < 2; pass++)
        {
            var clock = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var logProbs = ModelLogProbs.OfCompletion(model, ids, mask, mask, 1.0, LogitChunking.Auto);
                Sequences.LogProb(logProbs.LogProbs, logProbs.Mask).sum().backward();
            }
            seconds = clock.Elapsed.TotalSeconds;
            if (pass == 0) peak = ProcessMemory.PeakMb;
            model.zero_grad();
        }
        Console.WriteLine(new JsonObject
        {
            ["mode"] = args[0], ["step_seconds"] = seconds, ["tokens_per_sec"] = Rows * Length / seconds,
            ["resident_before_mb"] = before, ["step_peak_mb"] = peak, ["step_peak_above_mb"] = peak - before,
            ["process_peak_mb"] = ProcessMemory.PeakMb, ["recomputed_blocks"] = Models.Layers.LayerCheckpoint.RecomputedBlocks,
        }.ToJsonString());
        return 0;
    }
}
