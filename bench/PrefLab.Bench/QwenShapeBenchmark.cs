using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Ppo;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Models.Config;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;
using PrefLab.World;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// DPO and PPO at Qwen2.5-0.5B's shape (<c>qwen2.5-0.5b</c>: 494M parameters, vocabulary 151,936, random weights)
/// on CPU, with log-probs chunked (<c>--logits-chunk auto</c>, the default) and unchunked (<c>off</c>). Each stage
/// runs in its own child process so its peak is its own (VmHWM; reset with /proc/self/clear_refs between stages
/// of one process): the DPO reference pass (no gradient), a DPO step (batch 2 pairs = 4 sequences x 512 tokens, the
/// second step timed and its peak read after the first step's), and one PPO update (4 prompts of ~256 tokens +
/// 256 sampled tokens = 4 x 512; its generation, log-probs and training timed, the training's peak read apart from
/// the rollout's). The reward and value model are a 2-layer model of the same width and vocabulary (four 0.5B
/// models with two AdamW states would not fit 24 GiB beside the activations). The reference pass also writes its
/// first batch's token log-probs, so chunked and unchunked values are compared token by token.
/// The machine has 2 cores: a full 24-layer step takes about a minute; the figures are a few steps each.
/// </summary>
public sealed class QwenShapeBenchmark : IBenchmark
{
    public const string ChildFlag = "--qwen-child";
    /// <summary>The stages to run (<c>--qwen-stages=dpo_reference,dpo,ppo</c>; default all): one alone is minutes
    /// shorter than the whole benchmark, whose PPO update takes about 12 minutes on 2 cores.</summary>
    public static IReadOnlyList<string> Stages { get; set; } = ["dpo_reference", "dpo", "ppo"];
    /// <summary>The modes to run each stage in (<c>--qwen-chunks=auto,off,checkpointed</c>; default all): log-probs
    /// chunked, unchunked, and chunked with gradient checkpointing (<c>--gradient-checkpointing</c>).</summary>
    public static IReadOnlyList<string> Chunks { get; set; } = ["auto", "off", Checkpointed];
    public const string Checkpointed = "checkpointed";
    const string Preset = "qwen2.5-0.5b";
    const int Pairs = 2, PromptWords = 120, CompletionWords = 385, PpoPromptWords = 250, NewTokens = 256, MaxLength = 512;

    public string Name => "qwen-shape";
    public string Description => $"DPO and PPO of {Preset} (random weights) at 4 x {MaxLength} tokens: peak memory and tokens/s per stage, log-probs chunked vs unchunked, and chunked with gradient checkpointing (child processes)";

    public JsonObject Run(BenchContext context)
    {
        ProgressReporter.Quiet = true;
        var workspace = BenchWorkspace.Create("qwen");
        string root = workspace.Root;
        try
        {
            string world = workspace.World;
            string tokenizer = workspace.Tokenizer;
            var config = ModelPresets.Create(Preset, TokenizerFacts.Read(tokenizer));
            string policy = Path.Combine(root, "policy"), rm = Path.Combine(root, "rm");
            using (var model = CausalLM.Create(config, seed: 1)) model.Save(policy);
            using (var model = ScalarHeadModel.Create(config with { NumLayers = 2 }, seed: 2)) model.Save(rm);
            ModelFolder.CopyTokenizerFiles(tokenizer, policy);
            ModelFolder.CopyTokenizerFiles(tokenizer, rm);
            var words = SyntheticData.Words(tokenizer);
            string pairs = Path.Combine(root, "pairs.jsonl"), prompts = Path.Combine(root, "prompts.jsonl");
            SyntheticData.Pairs(pairs, words, Pairs, PromptWords, CompletionWords, seed: 5);
            SyntheticData.Prompts(prompts, words, 4, PpoPromptWords, seed: 6);

            var result = new JsonObject { ["preset"] = Preset, ["parameters"] = 494_032_768L, ["rows"] = 4, ["max_length"] = MaxLength };
            var figures = new JsonObject();
            var byStage = new Dictionary<string, Dictionary<string, JsonObject>>();
            foreach (string stage in Stages)
                foreach (string chunk in Chunks)
                {
                    JsonObject r;
                    try
                    {
                        r = Child(stage, chunk, root, policy, rm, pairs, prompts);
                    }
                    catch (InvalidOperationException e)
                    {
                        r = new JsonObject { ["error"] = e.Message }; // e.g. killed for memory: recorded, the other stages still run
                    }
                    (byStage.TryGetValue(stage, out var d) ? d : byStage[stage] = new())[chunk] = r;
                    result[$"{stage}.{ModeName(chunk)}"] = r;
                    Console.WriteLine($"  {stage,-14} {ModeName(chunk),-12}: {r.ToJsonString()}");
                }

            // Stage figures: peak MB and tokens/s, chunked (the default) and unchunked, and their ratio.
            void Stage(string name, string child, string peakField, string rateField)
            {
                if (!byStage.TryGetValue(child, out var runs) || !runs.TryGetValue("auto", out var c) || !runs.TryGetValue("off", out var u)) return;
                if (c["error"] is not null || u["error"] is not null) return;
                double Get(JsonObject o, string f) => o[f]!.GetValue<double>();
                figures[$"peak_mb.{name}.{Preset}"] = Get(c, peakField);
                figures[$"peak_mb.{name}_unchunked.{Preset}"] = Get(u, peakField);
                figures[$"chunked_memory_ratio.{name}.{Preset}"] = Get(c, peakField) / Get(u, peakField);
                figures[$"tokens_per_sec.{name}.{Preset}"] = Get(c, rateField);
                figures[$"tokens_per_sec.{name}_unchunked.{Preset}"] = Get(u, rateField);
                if (runs.TryGetValue(Checkpointed, out var k) && k["error"] is null)
                {
                    figures[$"peak_mb.{name}_checkpointed.{Preset}"] = Get(k, peakField);
                    figures[$"checkpointed_memory_ratio.{name}.{Preset}"] = Get(k, peakField) / Get(u, peakField);
                    figures[$"tokens_per_sec.{name}_checkpointed.{Preset}"] = Get(k, rateField);
                }
            }
            Stage("dpo_reference", "dpo_reference", "stage_peak_mb", "tokens_per_sec");
            Stage("dpo", "dpo", "step_peak_mb", "tokens_per_sec");
            Stage("dpo_process", "dpo", "process_peak_mb", "tokens_per_sec");
            Stage("dpo_above_state", "dpo", "step_peak_above_state_mb", "tokens_per_sec");
            Stage("ppo_logprobs", "ppo", "rollout_peak_mb", "logprobs_tokens_per_sec");
            Stage("ppo_train", "ppo", "training_peak_mb", "training_tokens_per_sec");
            Stage("ppo_process", "ppo", "process_peak_mb", "update_tokens_per_sec");
            if (byStage.TryGetValue("ppo", out var ppo) && ppo.TryGetValue("auto", out var ppoChunked) && ppoChunked["generation_share"] is { } share)
            {
                figures[$"generation_share.ppo.{Preset}"] = share.DeepClone();
                figures[$"training_share.ppo.{Preset}"] = ppoChunked["training_share"]!.DeepClone();
            }
            string chunkedFile = Path.Combine(root, "logprobs-auto.bin"), unchunkedFile = Path.Combine(root, "logprobs-off.bin");
            if (File.Exists(chunkedFile) && File.Exists(unchunkedFile))
            {
                var chunked = ReadFloats(chunkedFile);
                var unchunked = ReadFloats(unchunkedFile);
                figures[$"logprob_max_abs_diff.{Preset}"] = chunked.Zip(unchunked, (a, b) => Math.Abs((double)a - b)).Max();
                result["token_logprobs_compared"] = chunked.Length;
            }
            result["figures"] = figures;
            foreach (var (name, value) in figures) Console.WriteLine($"  {name} = {value}");
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }

    static string ModeName(string chunk) => chunk switch { "auto" => "chunked", "off" => "unchunked", _ => chunk };

    static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    // Runs one stage in a fresh process (this executable with ChildFlag) and parses the JSON line it prints last.
    static JsonObject Child(string stage, string chunk, string root, string policy, string rm, string pairs, string prompts) =>
        ChildProcess.Run(ChildFlag, [stage, chunk, root, policy, rm, pairs, prompts], $"{stage}/{chunk}");

    /// <summary>The child: one stage, then its measurements as one JSON line.</summary>
    public static int RunChild(string[] args)
    {
        var (stage, chunk, root, policy, rm, pairs, prompts) = (args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
        TorchRuntime.EnsureLoaded();
        if (args.Length > 7 && int.TryParse(args[7], out int threads)) TorchRuntime.SetThreads(threads);
        ProgressReporter.Quiet = true;
        bool checkpointed = chunk == Checkpointed;
        var chunking = checkpointed ? LogitChunking.Auto : LogitChunking.Parse(chunk);
        var result = stage switch
        {
            "dpo_reference" => ReferenceStage(policy, pairs, chunking, Path.Combine(root, $"logprobs-{chunk}.bin")),
            "dpo" => DpoStage(policy, pairs, chunking, checkpointed, Path.Combine(root, $"dpo-{chunk}")),
            "ppo" => PpoStage(policy, rm, prompts, chunking, checkpointed, Path.Combine(root, $"ppo-{chunk}")),
            _ => throw new ArgumentException($"unknown stage {stage}"),
        };
        result["stage"] = stage;
        result["logits_chunk"] = chunk;
        result["process_peak_mb"] ??= ProcessMemory.PeakMb;
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    static List<TokenizedPair> Tokenized(string model, string pairs, out int padId)
    {
        var tokenizer = TokenizerLoader.Load(model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        padId = chat.PadId;
        var report = new CollationReport();
        return DatasetReader.Open(pairs, new ReadOptions()).Pairs().Select(p => chat.Pair(p, MaxLength, TruncationPolicy.Truncate, report)!).ToList();
    }

    // The reference pass alone (no gradient): its time, its own peak, and the first batch's token log-probs.
    static JsonObject ReferenceStage(string model, string pairs, LogitChunking chunking, string logProbsFile)
    {
        var tokenized = Tokenized(model, pairs, out int padId);
        using var reference = CausalLM.Load(model);
        var layout = PairLayout.Sequential(tokenized.Count, Pairs);
        double tokens = tokenized.Sum(p => p.Chosen.Length + p.Rejected.Length);
        ProcessMemory.ResetPeak();
        double before = ProcessMemory.ResidentMb;
        var clock = Stopwatch.StartNew();
        ReferencePass.Compute(reference, tokenized, layout, padId, "reference", chunking);
        double seconds = clock.Elapsed.TotalSeconds;
        double peak = ProcessMemory.PeakMb;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var batch = Collator.PadPairs(tokenized, padId);
            var logProbs = ModelLogProbs.OfCompletion(reference, batch.InputIds, batch.AttentionMask, batch.LossMask, 1.0, chunking);
            var values = logProbs.LogProbs.contiguous().data<float>().ToArray();
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(logProbsFile, bytes);
        }
        return new JsonObject
        {
            ["tokens"] = tokens, ["seconds"] = seconds, ["tokens_per_sec"] = tokens / seconds,
            ["resident_before_mb"] = before, ["stage_peak_mb"] = peak, ["process_peak_mb"] = ProcessMemory.PeakMb,
        };
    }

    // DpoJob (cached reference) for two steps of 2 pairs: the second step's time and peak, and the whole process's peak.
    // The state every step keeps (weights, gradients, AdamW's moments) is resident once the first step ends, so the second
    // step's peak less the resident size then is what the step itself needs above it.
    static JsonObject DpoStage(string model, string pairs, LogitChunking chunking, bool checkpointed, string output)
    {
        var clock = Stopwatch.StartNew();
        var ends = new List<double>();
        double firstPeak = 0, stepPeak = 0, state = 0;
        DpoJob.Run(new DpoJobOptions
        {
            Model = model, Data = pairs, Output = output, RefCache = output + "-cache", MaxLength = MaxLength, LogitsChunk = chunking,
            Training = DpoJob.PaperTraining with { MaxSteps = 2, BatchSize = Pairs, GradAccum = 1, Lr = 1e-6, WarmupRatio = 0, GradientCheckpointing = checkpointed },
            AfterStep = step =>
            {
                ends.Add(clock.Elapsed.TotalSeconds);
                if (step == 1)
                {
                    firstPeak = ProcessMemory.PeakMb;
                    state = ProcessMemory.ResidentMb;
                    ProcessMemory.ResetPeak();
                }
                else stepPeak = ProcessMemory.PeakMb;
            },
        });
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunDirectory.RunFile)))!;
        double tokens = Tokenized(model, pairs, out _).Sum(p => p.Chosen.Length + p.Rejected.Length);
        double step = ends[1] - ends[0];
        return new JsonObject
        {
            ["tokens_per_step"] = tokens, ["step_seconds"] = step, ["tokens_per_sec"] = tokens / step,
            ["first_step_end_seconds"] = ends[0],
            ["reference_pass_seconds"] = run["reference"]?["train"]?["seconds"]?.GetValue<double>(),
            ["step_peak_mb"] = stepPeak, ["process_peak_mb"] = Math.Max(firstPeak, stepPeak),
            ["resident_after_first_step_mb"] = state, ["step_peak_above_state_mb"] = stepPeak - state,
        };
    }

    // One PPO update (4 prompts, 256 new tokens, forward batch 4): stage times and the rollout's and training's peaks.
    static JsonObject PpoStage(string policy, string rm, string prompts, LogitChunking chunking, bool checkpointed, string output)
    {
        double rolloutPeak = 0;
        long[] shape = Array.Empty<long>();
        PpoJob.Run(new PpoJobOptions
        {
            Policy = policy, RewardModel = rm, Prompts = prompts, Output = output, LogitsChunk = chunking,
            RolloutBatchSize = 4, GenerationBatchSize = 4, ForwardBatchSize = 4, MaxNewTokens = NewTokens, MaxPromptLength = MaxLength,
            Training = PrefLab.Algorithms.OnlineRl.OnlineRlOptions.DefaultTraining with { MaxSteps = 1, Lr = 1e-6, GradientCheckpointing = checkpointed }, RolloutLogEvery = 0,
            OnRewards = (rollout, _) =>
            {
                shape = rollout.Batch.InputIds.shape;   // [4, P+R]
                rolloutPeak = ProcessMemory.PeakMb;   // loading, generation, scoring, old/ref log-probs and old values
                ProcessMemory.ResetPeak();
            },
        });
        double trainingPeak = ProcessMemory.PeakMb;
        var m = JsonNode.Parse(File.ReadLines(Path.Combine(output, "metrics.jsonl")).Last())!;
        double Get(string name) => m[name]!.GetValue<double>();
        double response = Get("response_length");
        double tokens = (double)shape[0] * shape[1];
        return new JsonObject
        {
            ["generation_sec"] = Get("time/generation"), ["scoring_sec"] = Get("time/scoring"), ["logprobs_sec"] = Get("time/logprobs"),
            ["training_sec"] = Get("time/training"), ["update_sec"] = Get("time/update"), ["response_length"] = response,
            ["rows"] = shape[0], ["sequence_length"] = shape[1], ["sequence_tokens"] = tokens,
            ["logprobs_tokens_per_sec"] = 2 * tokens / Get("time/logprobs"),          // policy and reference
            ["training_tokens_per_sec"] = tokens / Get("time/training"),
            ["update_tokens_per_sec"] = Get("tokens_per_sec"),
            ["generation_share"] = Get("time/generation") / Get("time/update"),
            ["training_share"] = Get("time/training") / Get("time/update"),
            ["rollout_peak_mb"] = rolloutPeak, ["training_peak_mb"] = trainingPeak,
            ["process_peak_mb"] = Math.Max(rolloutPeak, trainingPeak),
        };
    }
}
