using System.Text.Json.Nodes;
using PrefLab.Rewards;
using PrefLab.Data.Reading;
using PrefLab.Generation;
using PrefLab.Statistics;

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
