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

/// <summary>
/// Best-of-N: N samples per prompt from a policy, each scored by a reward model; the top-scored sample is the
/// answer. Writes OUT/samples.jsonl (every sample with its reward, and gold score on a World), OUT/best.jsonl
/// (the pick per prompt) and OUT/summary.json (best-of-k for each reported k, reusing the N samples).
/// </summary>
public static class BestOfNJob
{
    public const string SamplesFile = "samples.jsonl", BestFile = "best.jsonl", SummaryFile = "summary.json";
    /// <summary>Prompts sampled per generation call (bounded memory); each chunk's sampling seed is derived from the seed
    /// and the chunk's index (<see cref="BestOfNSampler.ChunkSeed"/>).</summary>
    public const int PromptsPerChunk = 32;

    sealed record PromptSummary(string Category, bool Complete, double[] Reward, double[]? Gold, double[]? Oracle);

    public static BestOfNResult Run(BestOfNOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var ks = ReportedKs(options);
        var rule = EnsembleRule(options);
        options.Generation.Validate();
        var (prompts, world, tasks) = ReadPrompts(options);

        Directory.CreateDirectory(options.Output);
        string samplesPath = Path.Combine(options.Output, SamplesFile), bestPath = Path.Combine(options.Output, BestFile),
            summaryPath = Path.Combine(options.Output, SummaryFile);
        var tokenizer = TokenizerLoader.Load(options.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        using var policy = CausalLM.Load(options.Policy);
        using var scorer = new BestOfNScorer(options.RewardModel, options.AdditionalRewardModels, rule, options.Scoring);
        var sampler = new BestOfNSampler(TextGenerator.For(policy, tokenizer), scorer, options.N);

        var summaries = new List<PromptSummary>();
        var best = new List<JsonObject>();
        long unscored = 0, withoutEos = 0;
        using (var progress = ProgressReporter.Start("bon", (long)prompts.Count * options.N, "sample"))
            JsonlWriter.Write(samplesPath, Samples(progress));

        IEnumerable<JsonObject> Samples(IProgressTask progress)
        {
            for (int chunk = 0, start = 0; start < prompts.Count; chunk++, start += PromptsPerChunk)
            {
                int count = Math.Min(PromptsPerChunk, prompts.Count - start);
                var chunkPrompts = Enumerable.Range(start, count).Select(i => new BestOfNPrompt(prompts[i].Messages, chat.Prompt(prompts[i].Messages))).ToList();
                var draw = sampler.Draw(chunkPrompts, options.Generation, chunk, done => progress.Advance(done));
                var generated = draw.Samples;
                var (allRewards, raw, memberRewards) = draw.Rewards;
                for (int i = start; i < start + count; i++)
                {
                    int offset = (i - start) * options.N;
                    var rewards = allRewards[offset..(offset + options.N)];
                    var task = tasks[i];
                    var gold = task is null ? null : Enumerable.Range(0, options.N).Select(s => world!.Judge.Score(task, generated[offset + s].Text ?? "").Overall).ToArray();
                    int pick = draw.Picks[i - start];
                    for (int s = 0; s < options.N; s++)
                    {
                        var sequence = generated[offset + s];
                        if (rewards[s] is null) unscored++;
                        if (sequence.FinishReason != FinishReason.Eos) withoutEos++;
                        var row = Row(prompts[i], i, sequence.Text, rewards[s], raw[offset + s], scorer.RawBesideReward, gold?[s]);
                        if (memberRewards is not null) row["member_rewards"] = new JsonArray(memberRewards.Select(m => (JsonNode?)m[offset + s]).ToArray());
                        row["sample"] = s;
                        row["finish_reason"] = sequence.FinishReason.Name();
                        row["picked"] = s == pick;
                        yield return row;
                    }
                    var top = Row(prompts[i], i, generated[offset + pick].Text, rewards[pick], raw[offset + pick], scorer.RawBesideReward, gold?[pick]);
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
        var summary = SummaryJson(options, result, scorer, world);
        AtomicFile.WriteAllText(summaryPath, summary.ToJsonString(JsonOptions.Indented) + "\n");
        return result;
    }

    /// <summary>The ensemble's rule: null for one reward model, the mean unless <see cref="BestOfNOptions.Ensemble"/> says.</summary>
    static RewardEnsemble? EnsembleRule(BestOfNOptions options)
    {
        int count = 1 + options.AdditionalRewardModels.Count;
        if (options.Ensemble is not null && count < 2)
            throw UserError.InOption("ensemble", "combines two or more reward models: repeat --reward-model");
        var rule = count < 2 ? null : options.Ensemble ?? RewardEnsemble.Create(EnsembleCombiner.Mean, null, count);
        if (rule?.Weights is { } w && w.Count != count)
            throw UserError.InOption("ensemble-weights", $"gives {w.Count} weights for {count} reward models; give one per --reward-model");
        return rule;
    }

    /// <summary>summary.json: the result, and what produced it (policy, reward model or ensemble, prompts, sampling).</summary>
    static JsonObject SummaryJson(BestOfNOptions options, BestOfNResult result, BestOfNScorer scorer, WorldInstance? world)
    {
        var summary = result.ToJson();
        summary["policy"] = Path.GetFullPath(options.Policy);
        foreach (var (key, value) in scorer.Describe()) summary[key] = value?.DeepClone();
        summary["prompts_file"] = Path.GetFullPath(options.Prompts);
        summary["world"] = world?.Directory;
        summary["generation"] = new JsonObject
        {
            ["temperature"] = options.Generation.Temperature, ["top_p"] = options.Generation.TopP, ["top_k"] = options.Generation.TopK,
            ["max_new_tokens"] = options.Generation.MaxNewTokens, ["seed"] = options.Generation.Seed,
        };
        return summary;
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
