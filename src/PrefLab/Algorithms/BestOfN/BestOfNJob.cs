using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Data.Writing;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Rewards;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Statistics;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.World.Tasks;
using PrefLab.World;

namespace PrefLab.Algorithms.BestOfN;

/// <summary>What a best-of-N run needs; the CLI (<c>preflab bon</c>) and the lab build one.</summary>
public sealed record BestOfNOptions
{
    /// <summary>The policy (causal LM folder with tokenizer files) to sample from.</summary>
    public required string Policy { get; init; }
    /// <summary>The reward model folder (its stored normalisation, if any, is applied to the written rewards;
    /// the ranking does not depend on it).</summary>
    public required string RewardModel { get; init; }
    /// <summary>An ensemble's other members (after <see cref="RewardModel"/>, its first): each member's normalised
    /// reward (raw when it stores no normalisation) combined by <see cref="Ensemble"/>; empty: one reward model.</summary>
    public IReadOnlyList<string> AdditionalRewardModels { get; init; } = [];
    /// <summary>The ensemble's rule (null with one reward model: then mean if members are given).</summary>
    public RewardEnsemble? Ensemble { get; init; }
    public required string Prompts { get; init; }
    public required string Output { get; init; }
    /// <summary>Samples per prompt.</summary>
    public int N { get; init; } = 16;
    /// <summary>The k of best-of-k to report (each at most <see cref="N"/>), all from the same N samples.</summary>
    public IReadOnlyList<int> ReportN { get; init; } = [1, 4, 16];
    /// <summary>Sampling settings; the default temperature 0.7 is the paper's sampling temperature.</summary>
    public GenerationOptions Generation { get; init; } = new() { Temperature = 0.7, MaxNewTokens = 128 };
    /// <summary>A World folder: score every sample with the gold judge and report the pick's gold score per category.</summary>
    public string? World { get; init; }
    public string? ChatFormat { get; init; }
    public ReadOptions Read { get; init; } = new();
    public RewardModelOptions Scoring { get; init; } = new();
    /// <summary>Use only the first this many prompts of the file.</summary>
    public int? MaxPrompts { get; init; }
    public BootstrapOptions Bootstrap { get; init; } = BootstrapOptions.Default;
}

/// <summary>Best-of-k for one k: the expected (normalised) reward of the pick, and on a World its gold score.</summary>
/// <param name="Gold">Mean gold score of the RM's pick (over prompts the World knows), 95% bootstrap interval over prompts.</param>
/// <param name="GoldOracle">The same if the pick were made by the gold judge itself: the ceiling for a perfect reward model.</param>
/// <param name="GoldByCategory">Mean gold score of the pick per category.</param>
public sealed record BestOfKResult(int K, Estimate Reward, Estimate? Gold, Estimate? GoldOracle, IReadOnlyDictionary<string, double> GoldByCategory);

/// <summary>What <see cref="BestOfNJob.Run"/> did and measured.</summary>
public sealed record BestOfNResult(int Prompts, int N, long Samples, long Unscored, long WithoutEos, int PromptsInSummary, int PromptsWithGold,
    IReadOnlyDictionary<string, int> PromptsByCategory, IReadOnlyList<BestOfKResult> ByK, string SamplesFile, string BestFile, string SummaryFile)
{
    public JsonObject ToJson()
    {
        static JsonObject E(Estimate e) => new() { ["mean"] = e.Mean, ["lower"] = e.Lower, ["upper"] = e.Upper, ["n"] = e.N };
        var categories = new JsonObject();
        foreach (var (name, count) in PromptsByCategory) categories[name] = count;
        return new JsonObject
        {
            ["prompts"] = Prompts,
            ["n"] = N,
            ["samples"] = Samples,
            ["unscored_samples"] = Unscored,
            ["samples_without_eos"] = WithoutEos,
            ["prompts_in_summary"] = PromptsInSummary,
            ["prompts_with_gold"] = PromptsWithGold,
            ["prompts_by_category"] = categories,
            ["estimator"] = "best-of-k from the same N samples per prompt: the expected value of the RM's pick over every k-subset of the N (without replacement)",
            ["by_k"] = new JsonArray(ByK.Select(k =>
            {
                var gold = new JsonObject();
                foreach (var (name, value) in k.GoldByCategory) gold[name] = value;
                return (JsonNode)new JsonObject
                {
                    ["k"] = k.K,
                    ["reward"] = E(k.Reward),
                    ["gold"] = k.Gold is { } g ? E(g) : null,
                    ["gold_oracle"] = k.GoldOracle is { } o ? E(o) : null,
                    ["gold_by_category"] = k.Gold is null ? null : gold,
                };
            }).ToArray()),
            ["files"] = new JsonObject { ["samples"] = SamplesFile, ["best"] = BestFile, ["summary"] = SummaryFile },
        };
    }
}

/// <summary>
/// Best-of-N: N samples per prompt from a policy, each scored by a reward model; the top-scored sample is the
/// answer. Writes OUT/samples.jsonl (every sample with its reward, and gold score on a World), OUT/best.jsonl
/// (the pick per prompt) and OUT/summary.json (best-of-k for each reported k, reusing the N samples).
/// </summary>
public static class BestOfNJob
{
    public const string SamplesFile = "samples.jsonl", BestFile = "best.jsonl", SummaryFile = "summary.json";
    /// <summary>Prompts sampled per generation call (bounded memory); each chunk's sampling seed is derived from the seed and the chunk's index.</summary>
    public const int PromptsPerChunk = 32;

    sealed record PromptSummary(string Category, bool Complete, double[] Reward, double[]? Gold, double[]? Oracle);

    public static BestOfNResult Run(BestOfNOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var ks = ReportedKs(options);
        var folders = (IReadOnlyList<string>)[options.RewardModel, .. options.AdditionalRewardModels];
        if (options.Ensemble is not null && folders.Count < 2)
            throw UserError.InOption("ensemble", "combines two or more reward models: repeat --reward-model");
        var rule = folders.Count < 2 ? null : options.Ensemble ?? RewardEnsemble.Create(EnsembleCombiner.Mean, null, folders.Count);
        if (rule?.Weights is { } w && w.Count != folders.Count)
            throw UserError.InOption("ensemble-weights", $"gives {w.Count} weights for {folders.Count} reward models; give one per --reward-model");
        options.Generation.Validate();
        var (prompts, world, tasks) = ReadPrompts(options);

        Directory.CreateDirectory(options.Output);
        string samplesPath = Path.Combine(options.Output, SamplesFile), bestPath = Path.Combine(options.Output, BestFile),
            summaryPath = Path.Combine(options.Output, SummaryFile);
        var tokenizer = TokenizerLoader.Load(options.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        using var policy = CausalLM.Load(options.Policy);
        using var rm = RewardModel.Load(options.RewardModel, options.Scoring);
        var others = new List<RewardModel>();
        using var disposeOthers = new DisposeAll(others);
        foreach (string folder in options.AdditionalRewardModels) others.Add(RewardModel.Load(folder, options.Scoring));
        var members = (IReadOnlyList<RewardModel>)[rm, .. others];
        var generator = TextGenerator.For(policy, tokenizer);

        var summaries = new List<PromptSummary>();
        var best = new List<JsonObject>();
        long unscored = 0, withoutEos = 0;
        using (var progress = ProgressReporter.Start("bon", (long)prompts.Count * options.N, "sample"))
            JsonlWriter.Write(samplesPath, Samples(progress));

        IEnumerable<JsonObject> Samples(IProgressTask progress)
        {
            var collation = new CollationReport();
            var memberCollations = others.Select(_ => new CollationReport()).ToArray();
            for (int chunk = 0, start = 0; start < prompts.Count; chunk++, start += PromptsPerChunk)
            {
                int count = Math.Min(PromptsPerChunk, prompts.Count - start);
                var repeated = Enumerable.Range(start, count).SelectMany(i => Enumerable.Repeat(prompts[i].Messages, options.N)).ToList();
                var generation = options.Generation with { Seed = Seeding.Derive(options.Generation.Seed, "bon/chunk/" + chunk.ToString(CultureInfo.InvariantCulture)) };
                var generated = generator.Generate(chat, repeated, generation, done => progress.Advance(done));
                var conversations = repeated.Select((p, j) => (IReadOnlyList<Message>)[.. p, Message.Assistant(generated[j].Text ?? "")]).ToList();
                var raw = rm.TryScoreRaw(conversations, collation);
                // With an ensemble: [member][sample] each member's normalised reward (null where it could not score).
                var memberRewards = rule is null ? null : members.Select((m, j) =>
                {
                    var memberRaw = j == 0 ? raw : m.TryScoreRaw(conversations, memberCollations[j - 1]);
                    return memberRaw.Select(r => r is double x ? m.Normalizer.Apply(x) : (double?)null).ToArray();
                }).ToList();
                var combined = memberRewards is null ? null : rule!.Combine(memberRewards);
                for (int i = start; i < start + count; i++)
                {
                    int offset = (i - start) * options.N;
                    var rewards = combined is not null ? combined.Skip(offset).Take(options.N).ToArray()
                        : Enumerable.Range(0, options.N).Select(s => raw[offset + s] is double r ? rm.Normalizer.Apply(r) : (double?)null).ToArray();
                    var task = tasks[i];
                    var gold = task is null ? null : Enumerable.Range(0, options.N).Select(s => world!.Judge.Score(task, generated[offset + s].Text ?? "").Overall).ToArray();
                    int pick = BestOfK.Pick(rewards);
                    for (int s = 0; s < options.N; s++)
                    {
                        var sequence = generated[offset + s];
                        if (rewards[s] is null) unscored++;
                        if (sequence.FinishReason != FinishReason.Eos) withoutEos++;
                        var row = Row(prompts[i], i, sequence.Text, rewards[s], raw[offset + s], rm.IsNormalized && rule is null, gold?[s]);
                        if (memberRewards is not null) row["member_rewards"] = new JsonArray(memberRewards.Select(m => (JsonNode?)m[offset + s]).ToArray());
                        row["sample"] = s;
                        row["finish_reason"] = sequence.FinishReason.Name();
                        row["picked"] = s == pick;
                        yield return row;
                    }
                    var top = Row(prompts[i], i, generated[offset + pick].Text, rewards[pick], raw[offset + pick], rm.IsNormalized && rule is null, gold?[pick]);
                    if (memberRewards is not null) top["member_rewards"] = new JsonArray(memberRewards.Select(m => (JsonNode?)m[offset + pick]).ToArray());
                    top["sample"] = pick;
                    top["n"] = options.N;
                    best.Add(top);
                    bool complete = rewards.All(r => r is not null);
                    var values = rewards.Select(r => r ?? 0).ToArray();
                    summaries.Add(new PromptSummary(prompts[i].Category ?? task?.Category ?? "(none)", complete,
                        ks.Select(k => BestOfK.Expected(rewards, values, k)).ToArray(),
                        gold is null ? null : ks.Select(k => BestOfK.Expected(rewards, gold, k)).ToArray(),
                        gold is null ? null : ks.Select(k => BestOfK.Expected(gold.Select(g => (double?)g).ToArray(), gold, k)).ToArray()));
                }
            }
        }

        JsonlWriter.Write(bestPath, best);
        var result = Summarise(options, ks, prompts.Count, summaries, unscored, withoutEos, samplesPath, bestPath, summaryPath);
        var summary = result.ToJson();
        summary["policy"] = Path.GetFullPath(options.Policy);
        summary["reward_model"] = rm.Folder;
        summary["reward_normalized"] = rule is null ? rm.IsNormalized : members.All(m => m.IsNormalized);
        if (rule is not null)
        {
            var ensemble = rule.Describe();
            ensemble["members"] = new JsonArray(members.Select((m, j) => (JsonNode)new JsonObject
            {
                ["index"] = j,
                ["folder"] = m.Folder,
                ["normalization"] = m.IsNormalized
                    ? new JsonObject { ["applied"] = true, ["mean"] = m.Normalization!.Mean, ["std"] = m.Normalization.Std, ["file"] = RewardNormalization.PathIn(m.Folder) }
                    : new JsonObject { ["applied"] = false, ["why"] = $"no {RewardNormalization.FileName} in the folder: raw head outputs" },
            }).ToArray());
            ensemble["unscored"] = "a sample any member cannot score (too long for it) is unscored";
            summary["ensemble"] = ensemble;
        }
        summary["prompts_file"] = Path.GetFullPath(options.Prompts);
        summary["world"] = world?.Directory;
        summary["generation"] = new JsonObject
        {
            ["temperature"] = options.Generation.Temperature, ["top_p"] = options.Generation.TopP, ["top_k"] = options.Generation.TopK,
            ["max_new_tokens"] = options.Generation.MaxNewTokens, ["seed"] = options.Generation.Seed,
        };
        AtomicFile.WriteAllText(summaryPath, summary.ToJsonString(JsonOptions.Indented) + "\n");
        return result;
    }

    /// <summary>The k of best-of-k to report, sorted and distinct, each in [1, n].</summary>
    static int[] ReportedKs(BestOfNOptions options)
    {
        if (options.N < 1) throw UserError.InOption("n", $"must be at least 1, not {options.N}");
        var ks = options.ReportN.Distinct().Order().ToArray();
        if (ks.Length == 0) throw UserError.InOption("report-n", "give at least one k");
        if (ks.Where(k => k < 1 || k > options.N).Select(k => (int?)k).FirstOrDefault() is int bad)
            throw UserError.InOption("report-n", $"each k must be between 1 and --n {options.N}, not {bad}");
        return ks;
    }

    /// <summary>The prompts (at most --max-prompts), and with a World each one's task (null for prompts it does not know).</summary>
    static (List<PromptRecord> Prompts, WorldInstance? World, WorldTask?[] Tasks) ReadPrompts(BestOfNOptions options)
    {
        var prompts = DatasetReader.ReadPrompts(options.Prompts, options.Read).ToList();
        if (options.MaxPrompts is int max) prompts = prompts.Take(max).ToList();
        if (prompts.Count == 0) throw UserError.InOption("prompts", $"{options.Prompts}: holds no prompts");
        var world = options.World is null ? null : WorldInstance.Load(options.World);
        var tasks = prompts.Select(p => world is not null && p.SingleUserText is { } text && world.Judge.Knows(text) ? world.TaskFor(text) : null).ToArray();
        if (world is not null && tasks.All(t => t is null))
            throw UserError.InOption("world", $"none of the prompts in {options.Prompts} is one of this World's prompts");
        return (prompts, world, tasks);
    }

    /// <summary>Expected best-of-k reward (and gold, and the gold oracle's) over the prompts whose samples were all scored.</summary>
    static BestOfNResult Summarise(BestOfNOptions options, int[] ks, int promptCount, List<PromptSummary> summaries, long unscored, long withoutEos,
        string samplesPath, string bestPath, string summaryPath)
    {
        var complete = summaries.Where(s => s.Complete).ToList();
        if (complete.Count == 0) throw new UserError($"bon: no prompt had all {options.N} samples scored (too long for the reward model?); nothing to summarise");
        var withGold = complete.Where(s => s.Gold is not null).ToList();
        var byK = ks.Select((k, index) => new BestOfKResult(k,
            Bootstrap.Mean(complete.Select(s => s.Reward[index]).ToList(), options.Bootstrap),
            withGold.Count == 0 ? null : Bootstrap.Mean(withGold.Select(s => s.Gold![index]).ToList(), options.Bootstrap),
            withGold.Count == 0 ? null : Bootstrap.Mean(withGold.Select(s => s.Oracle![index]).ToList(), options.Bootstrap),
            withGold.GroupBy(s => s.Category).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(s => s.Gold![index]))))
            .ToList();
        return new BestOfNResult(promptCount, options.N, (long)promptCount * options.N, unscored, withoutEos, complete.Count, withGold.Count,
            complete.GroupBy(s => s.Category).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            byK, Path.GetFullPath(samplesPath), Path.GetFullPath(bestPath), Path.GetFullPath(summaryPath));
    }

    sealed class DisposeAll(List<RewardModel> models) : IDisposable
    {
        public void Dispose()
        {
            foreach (var model in models) model.Dispose();
        }
    }

    static JsonObject Row(PromptRecord prompt, int index, string? response, double? reward, double? raw, bool normalized, double? gold)
    {
        var row = new JsonObject
        {
            ["prompt_id"] = prompt.Id ?? index.ToString(CultureInfo.InvariantCulture),
            ["prompt_index"] = index,
            ["category"] = prompt.Category,
            ["prompt"] = prompt.SingleUserText is string single ? JsonValue.Create(single)
                : new JsonArray(prompt.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["response"] = response,
            ["reward"] = reward,
        };
        if (normalized) row["reward_raw"] = raw;
        if (gold is double g) row["gold"] = g;
        return row;
    }
}
