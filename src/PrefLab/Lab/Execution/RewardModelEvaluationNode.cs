using System.Globalization;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Lab.Plan;
using PrefLab.Rewards;
using PrefLab.Runtime;

namespace PrefLab.Lab.Execution;

/// <summary>
/// The library executor of <see cref="NodeKind.RmEvaluation"/> nodes: the node's settings become
/// <see cref="RewardEvalOptions"/> for its reward model (or ensemble), <see cref="RewardModelEvaluator.Evaluate"/>
/// scores the held-out pairs (the World's gold-labelled ones, or a file), rm_eval.json goes to the node's folder, and
/// one verdict a pair is the node's result (with gold agreement on World pairs).
/// </summary>
public static class RewardModelEvaluationNode
{
    public const string ReportFile = "rm_eval.json";
    public static readonly string[] SettingKeys = ["suite", "data", "seed", "world-pairs", "batch-size", .. LabEnsemble.SettingKeys];

    public static IReadOnlyList<PairVerdict> Run(NodeWork work)
    {
        var options = Options(work);
        var report = RewardModelEvaluator.Evaluate(options);
        AtomicFile.WriteAllText(Path.Combine(work.OutputFolder, ReportFile),
            report.ToJson().ToJsonString(JsonOptions.Indented) + "\n");
        // An ensemble's node reports the ensemble (its result comes after the members'); each member has its own node.
        return Verdicts(report.Models[options.Ensemble is null ? 0 : ^1]);
    }

    public static RewardEvalOptions Options(NodeWork work)
    {
        var settings = work.Settings;
        string? suite = settings.GetString("suite");
        string? data = settings.Contains("data") ? work.File("data") : null;
        if (suite is not null && suite != "world")
            throw new UserError($"{work.Node}: rm_evaluation.suite must be 'world' (the World's gold-labelled held-out pairs), not '{suite}'; give rm_evaluation.data for a file of pairs");
        if (suite is null && data is null) suite = "world";
        work.RejectUnknownSettings(SettingKeys);
        return new RewardEvalOptions
        {
            Models = work.RewardModels,
            Ensemble = LabEnsemble.Rule(work),
            Data = data is null ? [] : [data],
            World = suite == "world" ? work.WorldFolder ?? throw new UserError($"{work.Node}: the world suite needs a World") : null,
            WorldPairsPerPrompt = (int)(settings.GetLong("world-pairs") ?? WorldHeldOutPairs.DefaultPairsPerPrompt),
            WorldSeed = work.Seed,
            Scoring = settings.GetLong("batch-size") is long batch ? new RewardModelOptions { BatchSize = (int)batch } : new RewardModelOptions(),
        };
    }

    static List<PairVerdict> Verdicts(RewardModelEvalResult model)
    {
        var verdicts = new List<PairVerdict>();
        foreach (var set in model.Sets)
        {
            bool gold = set.Kind == "world"; // the World's held-out pairs are labelled by the gold judge
            var correct = set.Scores.Correct();
            for (int k = 0; k < correct.Length; k++)
            {
                string id = $"{set.Name}#{set.Scores.Index[k].ToString(CultureInfo.InvariantCulture)}";
                // The subset names the pair's category where it has one, so the report (and the instrument) can
                // give agreement per category.
                string subset = set.Scores.Category(k) is { } category ? PairVerdict.SubsetOf(set.Name, category) : set.Name;
                verdicts.Add(new PairVerdict(subset, id, correct[k], gold ? correct[k] : null));
            }
        }
        return verdicts;
    }
}
