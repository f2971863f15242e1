using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Ppo;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Algorithms.Sft;
using PrefLab.Bench.Baseline;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models.Config;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime.Console;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;
using PrefLab.World;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// PrefLab's stages against the plain TorchSharp loop a user would write (<see cref="PlainSteps"/> over
/// <see cref="PlainDecoder"/>: TorchSharp's nn.Embedding / nn.Linear around our decoder layers), on the same
/// shapes, in the same process, interleaved step by step: each round runs PrefLab's real job (SftJob pretraining,
/// RewardModelJob, DpoJob with cached reference, PpoJob — the code the CLI runs, with logging every step), and after
/// each of its optimizer steps (AfterStep) one plain step runs. PrefLab's step time is the wall time from the end
/// of that plain step to the next AfterStep (the first step, which allocates AdamW's state, is skipped), PPO's its
/// <c>time/training</c> after the first update; the plain loop's is its own step after a warm-up step. Ratio = PrefLab tokens/s ÷ plain tokens/s (> 1: PrefLab faster),
/// medians. MFU = model FLOPs / time / the fp32 peak, FLOPs = 6 N tokens + 12 L d_attn T per token (N the matrix
/// parameters a token passes: the vocabulary projection only where logits are taken); DPO counts the policy's
/// forward+backward over chosen and rejected, PPO's training the policy's and the value model's.
/// Data: the small World's pretraining corpus (blocks of 256); synthetic pairs of exact length (no padding) for RM
/// and DPO; PPO samples from World prompts (left-padded prompts, responses to the length limit).
/// </summary>
public sealed class PlainLoopBenchmark : IBenchmark
{
    const int Rounds = 2, Steps = 7, Block = 256, LmBatch = 8, Pairs = 8, PromptWords = 40, CompletionWords = 80;
    const int PpoPrompts = 64, PpoNewTokens = 48, PpoForwardBatch = 16, PpoUpdates = 3;

    /// <summary>The stages <c>--plain-stages=</c> can name: pretrain at each shape, then RM, DPO and PPO training at world-base.</summary>
    public static readonly string[] AllStages = ["pretrain.world-small", "pretrain.world-base", "pretrain.llama-30m", "rm", "dpo", "ppo_train"];
    /// <summary>The stages this run measures (<c>--plain-stages=ppo_train</c> measures only PPO's training phase).</summary>
    public static IReadOnlyList<string> Stages { get; set; } = AllStages;

    public string Name => "plain-loop";
    public string Description => "PrefLab's pretrain (world-small, world-base, llama-30m), RM, DPO (cached reference) and PPO training vs a plain TorchSharp loop: ratio, tokens/s, MFU";

    public JsonObject Run(BenchContext context)
    {
        ProgressReporter.Quiet = true;
        var workspace = BenchWorkspace.Create("plain");
        string root = workspace.Root;
        try
        {
            string world = workspace.World;
            string tokenizer = workspace.Tokenizer;
            string pairs = Path.Combine(root, "pairs.jsonl");
            SyntheticData.Pairs(pairs, SyntheticData.Words(tokenizer), 64, PromptWords, CompletionWords, seed: 3);
            var result = new JsonObject();
            var figures = new JsonObject();
            foreach (string preset in new[] { "world-small", "world-base", "llama-30m" })
                if (Stages.Contains($"pretrain.{preset}")) Record(result, figures, "pretrain", preset, Pretrain(context, root, world, preset));
            if (Stages.Contains("rm")) Record(result, figures, "rm", "world-base", RewardModel(context, root, tokenizer, pairs, "world-base"));
            if (Stages.Contains("dpo")) Record(result, figures, "dpo", "world-base", Dpo(context, root, tokenizer, pairs, "world-base"));
            if (Stages.Contains("ppo_train")) Record(result, figures, "ppo_train", "world-base", Ppo(context, root, world, "world-base"));
            result["fp32_peak_gflops"] = context.Fp32PeakGflops;
            result["figures"] = figures;
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }

    static void Record(JsonObject result, JsonObject figures, string stage, string shape, JsonObject entry)
    {
        result[$"{stage}.{shape}"] = entry;
        figures[$"ratio_vs_plain_loop.{stage}.{shape}"] = entry["ratio"]!.DeepClone();
        figures[$"mfu.{stage}.{shape}"] = entry["mfu"]!.DeepClone();
        figures[$"mfu_plain_loop.{stage}.{shape}"] = entry["mfu_plain_loop"]!.DeepClone();
        figures[$"tokens_per_sec.{stage}.{shape}"] = entry["tokens_per_sec"]!.DeepClone();
        figures[$"tokens_per_sec_plain_loop.{stage}.{shape}"] = entry["tokens_per_sec_plain_loop"]!.DeepClone();
        if (entry["generation_share"] is { } g) figures[$"generation_share.ppo.{shape}"] = g.DeepClone();
        if (entry["training_share"] is { } t) figures[$"training_share.ppo.{shape}"] = t.DeepClone();
        Console.WriteLine($"  {stage} {shape}: PrefLab {entry["tokens_per_sec"]!.GetValue<double>():F0} tok/s (MFU {entry["mfu"]!.GetValue<double>():P1}), " +
            $"plain {entry["tokens_per_sec_plain_loop"]!.GetValue<double>():F0} tok/s (MFU {entry["mfu_plain_loop"]!.GetValue<double>():P1}): ratio {entry["ratio"]!.GetValue<double>():F3}" +
            (entry["generation_share"] is { } share ? $"; PPO update: generation {share.GetValue<double>():P0}, training {entry["training_share"]!.GetValue<double>():P0} of the wall time" : ""));
    }

    // Both sides' step times -> the entry (tokens per step are the same on both sides).
    static JsonObject Entry(BenchContext context, double tokens, double flops, List<double> preflab, List<double> plain)
    {
        double a = Median(preflab), b = Median(plain);
        return new JsonObject
        {
            ["tokens_per_step"] = tokens,
            ["model_gflops_per_step"] = flops / 1e9,
            ["preflab_step_seconds"] = new JsonArray(preflab.Select(s => (JsonNode?)s).ToArray()),
            ["plain_step_seconds"] = new JsonArray(plain.Select(s => (JsonNode?)s).ToArray()),
            ["tokens_per_sec"] = tokens / a,
            ["tokens_per_sec_plain_loop"] = tokens / b,
            ["ratio"] = b / a,
            ["mfu"] = context.Mfu(flops / a),
            ["mfu_plain_loop"] = context.Mfu(flops / b),
        };
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // 6 N per token for the matrix parameters a token passes, plus 12 L d_attn T for attention over T keys.
    static double FlopsPerToken(ModelConfig config, double matrixParameters, double context) =>
        6.0 * matrixParameters + 12.0 * config.NumLayers * config.NumHeads * config.HeadDim * context;

    static string SaveCausal(string root, string name, ModelConfig config, string tokenizer, out long nonEmbedding)
    {
        string folder = Path.Combine(root, name);
        using var model = CausalLM.Create(config, seed: 1);
        model.Save(folder);
        ModelFolder.CopyTokenizerFiles(tokenizer, folder);
        nonEmbedding = model.NonEmbeddingParameterCount;
        return folder;
    }

    // Interleaved step by step: after each PrefLab optimizer step (AfterStep) one plain step runs, timed on its own;
    // PrefLab's step time is the wall time from the end of that plain step to the next AfterStep (its compute,
    // logging and bookkeeping). Both sides see the same machine load, which varies a lot on a shared machine.
    static (Action<long> After, List<double> PrefLab, List<double> Plain) Interleaved(Action plainStep)
    {
        List<double> preflab = new(), plain = new();
        var clock = Stopwatch.StartNew();
        double? last = null;
        return (_ =>
        {
            if (last is double l)
            {
                preflab.Add(clock.Elapsed.TotalSeconds - l);
                double before = clock.Elapsed.TotalSeconds;
                plainStep();
                plain.Add(clock.Elapsed.TotalSeconds - before);
            }
            // (the first PrefLab step allocates AdamW's state: it is not timed, nor a plain step after it)
            last = clock.Elapsed.TotalSeconds;
        }, preflab, plain);
    }

    JsonObject Pretrain(BenchContext context, string root, string world, string preset)
    {
        string tokenizer = Path.Combine(world, "tokenizer");
        var config = (RotaryDecoderConfig)ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
        string start = SaveCausal(root, "lm-" + preset, config, tokenizer, out long nonEmbedding);
        using var plain = new PlainDecoder(config);
        using var optimizer = PlainSteps.AdamW(plain, 1e-4);
        using var ids = randint(3, config.VocabSize, new long[] { LmBatch, Block }, dtype: ScalarType.Int64, generator: new Generator(1));
        List<double> preflab = new(), baseline = new();
        Action plainStep = () => PlainSteps.LanguageModel(plain, optimizer, ids);
        plainStep(); // warm-up: AdamW's state
        for (int round = 0; round < Rounds; round++)
        {
            var (after, seconds, plainSeconds) = Interleaved(plainStep);
            SftJob.Run(new SftJobOptions
            {
                Mode = LanguageModelingMode.Pretrain, Model = start, Data = Path.Combine(world, "pretrain.jsonl"),
                Output = Path.Combine(root, $"pretrain-{preset}-{round}"), MaxLength = Block,
                Training = new TrainingOptions { MaxSteps = Steps, BatchSize = LmBatch, Lr = 1e-4, Seed = 1 }, AfterStep = after,
            });
            preflab.AddRange(seconds);
            baseline.AddRange(plainSeconds);
        }
        double tokens = LmBatch * Block;
        double flops = tokens * FlopsPerToken(config, nonEmbedding + (double)config.VocabSize * config.HiddenSize, Block);
        return Entry(context, tokens, flops, preflab, baseline);
    }

    // The rendered length of the synthetic pairs (all the same) and their prompt length.
    static (int Length, int Prompt) PairShape(string tokenizerFolder, string pairs)
    {
        var chat = new ChatTokenizer(TokenizerLoader.Load(tokenizerFolder), ChatFormats.Resolve(TokenizerLoader.Load(tokenizerFolder), null));
        var report = new CollationReport();
        var lengths = DatasetReader.Open(pairs, new ReadOptions()).Pairs()
            .Select(p => chat.Pair(p, 4096, TruncationPolicy.Truncate, report)!).Select(t => (t.Chosen.Length, t.Rejected.Length, t.PromptLength)).Distinct().ToList();
        if (lengths.Count != 1 || lengths[0].Item1 != lengths[0].Item2) throw new InvalidOperationException("synthetic pairs of different lengths");
        return (lengths[0].Item1, lengths[0].Item3);
    }

    JsonObject RewardModel(BenchContext context, string root, string tokenizer, string pairs, string preset)
    {
        var config = (RotaryDecoderConfig)ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
        string start = SaveCausal(root, "rm-" + preset, config, tokenizer, out long nonEmbedding);
        var (length, _) = PairShape(tokenizer, pairs);
        using var plain = new PlainDecoder(config, scalarHead: true);
        using var optimizer = PlainSteps.AdamW(plain, 1e-5);
        using var ids = randint(3, config.VocabSize, new long[] { 2 * Pairs, length }, dtype: ScalarType.Int64, generator: new Generator(2));
        List<double> preflab = new(), baseline = new();
        Action plainStep = () => PlainSteps.RewardModel(plain, optimizer, ids);
        plainStep(); // warm-up: AdamW's state
        for (int round = 0; round < Rounds; round++)
        {
            var (after, seconds, plainSeconds) = Interleaved(plainStep);
            RewardModelJob.Run(new RewardModelJobOptions
            {
                Model = start, Data = pairs, Output = Path.Combine(root, $"rm-{preset}-{round}"), MaxLength = length + 8,
                Training = RewardModelJob.PaperTraining with { MaxSteps = Steps, BatchSize = Pairs, GradAccum = 1 }, AfterStep = after,
            });
            preflab.AddRange(seconds);
            baseline.AddRange(plainSeconds);
        }
        double tokens = 2.0 * Pairs * length;
        double flops = tokens * FlopsPerToken(config, nonEmbedding + config.HiddenSize, length);
        var entry = Entry(context, tokens, flops, preflab, baseline);
        entry["sequence_length"] = length;
        return entry;
    }

    JsonObject Dpo(BenchContext context, string root, string tokenizer, string pairs, string preset)
    {
        var config = (RotaryDecoderConfig)ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
        string start = SaveCausal(root, "dpo-" + preset, config, tokenizer, out long nonEmbedding);
        var (length, prompt) = PairShape(tokenizer, pairs);
        using var plain = new PlainDecoder(config);
        using var optimizer = PlainSteps.AdamW(plain, 1e-5);
        using var ids = randint(3, config.VocabSize, new long[] { 2 * Pairs, length }, dtype: ScalarType.Int64, generator: new Generator(3));
        using var completion = zeros(2 * Pairs, length, dtype: ScalarType.Float32);
        completion.narrow(1, prompt, length - prompt).fill_(1.0f);
        using var reference = randn(new long[] { 2 * Pairs }, generator: new Generator(4)) - 100;
        string cache = Path.Combine(root, "dpo-cache");
        List<double> preflab = new(), baseline = new();
        Action plainStep = () => PlainSteps.Dpo(plain, optimizer, ids, completion, reference, 0.1);
        plainStep(); // warm-up: AdamW's state
        for (int round = 0; round < Rounds; round++)
        {
            var (after, seconds, plainSeconds) = Interleaved(plainStep);
            DpoJob.Run(new DpoJobOptions
            {
                Model = start, Data = pairs, Output = Path.Combine(root, $"dpo-{preset}-{round}"), RefCache = cache, MaxLength = length + 8,
                Training = DpoJob.PaperTraining with { MaxSteps = Steps, BatchSize = Pairs, GradAccum = 1, Lr = 1e-5 }, AfterStep = after,
            });
            preflab.AddRange(seconds);
            baseline.AddRange(plainSeconds);
        }
        double tokens = 2.0 * Pairs * length;
        double flops = tokens * FlopsPerToken(config, nonEmbedding + (double)config.VocabSize * config.HiddenSize, length);
        var entry = Entry(context, tokens, flops, preflab, baseline);
        entry["sequence_length"] = length;
        return entry;
    }

    JsonObject Ppo(BenchContext context, string root, string world, string preset)
    {
        string tokenizer = Path.Combine(world, "tokenizer");
        var config = (RotaryDecoderConfig)ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
        string policy = SaveCausal(root, "ppo-policy-" + preset, config, tokenizer, out long nonEmbedding);
        string rm = Path.Combine(root, "ppo-rm-" + preset);
        using (var model = ScalarHeadModel.Create(config, seed: 2)) model.Save(rm);
        ModelFolder.CopyTokenizerFiles(tokenizer, rm);
        using var plainPolicy = new PlainDecoder(config);
        using var plainValue = new PlainDecoder(config, scalarHead: true);
        using var policyOptimizer = PlainSteps.AdamW(plainPolicy, 1e-5);
        using var valueOptimizer = PlainSteps.AdamW(plainValue, 1e-5);
        List<double> preflab = new(), baseline = new(), generationShare = new(), trainingShare = new();
        PlainSteps.PpoBatch? batch = null;
        using var batchScope = NewDisposeScope();
        void PlainTraining() => PlainSteps.PpoTraining(plainPolicy, policyOptimizer, plainValue, valueOptimizer, batch!, PpoForwardBatch, 0.7, 0.05);
        for (int round = 0; round < Rounds; round++)
        {
            string output = Path.Combine(root, $"ppo-{preset}-{round}");
            PpoJob.Run(new PpoJobOptions
            {
                Policy = policy, RewardModel = rm, Prompts = Path.Combine(world, "prompts", "mixed.jsonl"), Output = output,
                RolloutBatchSize = PpoPrompts, GenerationBatchSize = PpoPrompts, ForwardBatchSize = PpoForwardBatch, MaxNewTokens = PpoNewTokens,
                Training = PrefLab.Algorithms.OnlineRl.OnlineRlOptions.DefaultTraining with { MaxSteps = PpoUpdates, Lr = 1e-5 }, RolloutLogEvery = 0,
                AfterStep = update =>
                {
                    // One plain training phase after each update (the first warms up AdamW's state, untimed).
                    var clock = Stopwatch.StartNew();
                    PlainTraining();
                    if (update > 1 || round > 0) baseline.Add(clock.Elapsed.TotalSeconds);
                },
                OnRewards = (rollout, _) =>
                {
                    // The plain loop trains on the same shapes and masks (the last rollout's).
                    var b = rollout.Batch;
                    batch ??= new PlainSteps.PpoBatch(b.InputIds.clone(), b.AttentionMask.clone(), b.ResponseIds.clone(), b.ResponseMask.clone(),
                        rollout.OldLogProbs.clone(), rollout.RefLogProbs.clone(), zeros_like(rollout.OldLogProbs), rollout.Scores.clone());
                    foreach (var t in new[] { batch.InputIds, batch.AttentionMask, batch.ResponseIds, batch.ResponseMask, batch.OldLogProbs, batch.RefLogProbs, batch.OldValues, batch.Scores })
                        t.MoveToOtherDisposeScope(batchScope);
                },
            });
            foreach (var line in File.ReadLines(Path.Combine(output, "metrics.jsonl")).Skip(1).Select(l => JsonNode.Parse(l)!))
            {
                double update = line["time/update"]!.GetValue<double>();
                preflab.Add(line["time/training"]!.GetValue<double>());
                generationShare.Add(line["time/generation"]!.GetValue<double>() / update);
                trainingShare.Add(line["time/training"]!.GetValue<double>() / update);
            }
        }
        long rows = batch!.InputIds.shape[0], total = batch.InputIds.shape[1], response = batch.ResponseIds.shape[1];
        double tokens = (double)rows * total;
        double vocabProjection = (double)config.VocabSize * config.HiddenSize * response / total; // logits only where responses are scored
        double flops = tokens * (FlopsPerToken(config, nonEmbedding + vocabProjection, total) + FlopsPerToken(config, nonEmbedding + config.HiddenSize, total));
        var entry = Entry(context, tokens, flops, preflab, baseline);
        entry["rows"] = rows;
        entry["sequence_length"] = total;
        entry["response_length"] = response;
        entry["generation_share"] = Median(generationShare);
        entry["training_share"] = Median(trainingShare);
        return entry;
    }
}
