using System.Text.Json.Nodes;
using PrefLab.Algorithms.BestOfN;
using PrefLab.Evaluation.Harness;
using PrefLab.Lab.Plan;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.World;

namespace PrefLab.Lab.Execution;

/// <summary>What a best-of-N node runs: the evaluation of its policy on the grid's items (<see cref="Evaluation"/>),
/// each response the pick of <see cref="N"/> samples at <see cref="Temperature"/>, judged by the reward model(s)
/// or, with none, by the World's gold judge.</summary>
/// <param name="RewardModels">The reward model, or an ensemble's members in order; empty: the gold judge.</param>
/// <param name="Ensemble">The ensemble's rule (null for one reward model or the gold judge).</param>
public sealed record BestOfNNodeOptions(EvaluationOptions Evaluation, int N, double Temperature, IReadOnlyList<string> RewardModels,
    RewardEnsemble? Ensemble)
{
    /// <summary>The paper's sampling temperature, as <c>bon</c>'s default.</summary>
    public const double DefaultTemperature = 0.7;
}

/// <summary>
/// The library executor of <see cref="NodeKind.BestOfN"/> nodes: the harness (<see cref="EvaluationNode"/>) with a
/// generator (<see cref="BestOfNResponseGenerator"/>) that makes <c>bon</c>'s draw — the same sampler, judge
/// (<see cref="BestOfNScorer"/> for reward models and ensembles) and pick — so the pick is scored on the items of
/// every other run. With the gold judge the pick is the best a perfect reward model could make: the ceiling of reranking.
/// </summary>
public static class BestOfNNode
{
    /// <summary>Written by a best-of-N node whose judge is a reward-model ensemble (a node has no summary.json):
    /// which ensemble picked, in the words of <c>bon</c>'s summary.json.</summary>
    public const string JudgeFile = "judge.json";

    public static readonly string[] SettingKeys =
        ["algorithm", "n", "temperature", "suite", "limit", "max-new-tokens", "batch-size", "seed", "reward", .. LabEnsemble.SettingKeys];

    public static IReadOnlyList<ItemScore> Run(NodeWork work) => Run(work, Options(work));

    public static BestOfNNodeOptions Options(NodeWork work)
    {
        int n = (int)(work.Settings.GetLong("n") ?? throw new UserError($"{work.Node}: best-of-n needs n"));
        double temperature = work.Settings.GetDouble("temperature") ?? BestOfNNodeOptions.DefaultTemperature;
        bool gold = work.Settings.GetString("reward") == "gold";
        work.RejectUnknownSettings(SettingKeys);
        if (gold && work.WorldFolder is null) throw new UserError($"{work.Node}: best-of-n with the gold judge needs a world");
        // The harness's cache keys hold the policy and decoding, not the judge: a pick is not cacheable.
        return new BestOfNNodeOptions(EvaluationNode.Options(work, cache: false), n, temperature, gold ? [] : work.RewardModels,
            LabEnsemble.Rule(work));
    }

    public static IReadOnlyList<ItemScore> Run(NodeWork work, BestOfNNodeOptions options)
    {
        using var judge = Judge(options);
        if (judge.Scorer is { } scorer && options.Ensemble is not null) WriteEnsembleJudge(work, scorer);
        var evaluation = options.Evaluation with
        {
            GeneratorFactory = (policy, tokenizer) => new BestOfNResponseGenerator(policy, tokenizer, judge.Judge, options.N, options.Temperature),
        };
        return EvaluationNode.Evaluate(work, evaluation);
    }

    /// <summary>The judge, and the reward models it holds (disposed with it).</summary>
    sealed record LoadedJudge(IBestOfNJudge Judge, BestOfNScorer? Scorer) : IDisposable
    {
        public void Dispose() => Scorer?.Dispose();
    }

    static LoadedJudge Judge(BestOfNNodeOptions options)
    {
        if (options.RewardModels.Count == 0)
        {
            string world = options.Evaluation.World ?? throw new InvalidOperationException("the gold judge needs the World");
            return new LoadedJudge(new GoldBestOfNJudge(WorldInstance.Load(world).Judge), null);
        }
        var scorer = new BestOfNScorer(options.RewardModels[0], options.RewardModels.Skip(1).ToList(), options.Ensemble, new RewardModelOptions());
        return new LoadedJudge(scorer, scorer);
    }

    static void WriteEnsembleJudge(NodeWork work, BestOfNScorer scorer)
    {
        var json = new JsonObject { ["kind"] = "reward_model_ensemble" };
        foreach (var (key, value) in scorer.Describe()) json[key] = value?.DeepClone();
        AtomicFile.WriteAllText(Path.Combine(work.OutputFolder, JudgeFile), json.ToJsonString(JsonOptions.Indented) + "\n");
    }
}
