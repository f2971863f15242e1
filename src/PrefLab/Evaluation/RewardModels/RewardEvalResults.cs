using System.Text.Json.Nodes;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.RewardModels;

/// <summary>Accuracy and margin of a reward model on the pairs of one subset (e.g. category = reasoning).</summary>
public sealed record SubsetResult(string Key, string Value, int Pairs, Estimate Accuracy, double MeanMargin);

/// <summary>Per-pair raw rewards, by the pair's index in its set (pairs dropped by tokenization are absent), with each
/// pair's category where the set carries one (null entries otherwise).</summary>
public sealed record PairScores(int[] Index, double[] Chosen, double[] Rejected, string?[]? Categories = null)
{
    /// <summary>The category of the k-th scored pair, or null.</summary>
    public string? Category(int k) => Categories?[k];

    public double[] Correct() => Chosen.Select((c, i) => RewardStatistics.Correct(c, Rejected[i])).ToArray();
}

/// <summary>
/// A reward model on one set of pairs (a data file, or the World's gold-labelled held-out pairs). Rewards are
/// the head's raw outputs (a stored normalisation is an affine map that would change margins, not accuracy).
/// </summary>
/// <param name="Name">The file name, or "world-heldout".</param>
/// <param name="Kind">"data" or "world".</param>
/// <param name="Pairs">Pairs scored (after tokenization drops).</param>
/// <param name="Accuracy">Share of pairs with r_chosen &gt; r_rejected (ties 0.5), with a 95% percentile-bootstrap interval over pairs.
/// On the World set this is agreement with the gold judge.</param>
/// <param name="Subsets">Accuracy by every metadata key the set carries (category, source, subset), each value a row.</param>
/// <param name="Input">How the set was read and tokenized (counts of drops by reason).</param>
public sealed record PairSetResult(
    string Name,
    string Kind,
    int Pairs,
    Estimate Accuracy,
    double MeanMargin,
    double MeanRewardChosen,
    double MeanRewardRejected,
    int Ties,
    Calibration Calibration,
    LengthCorrelation Length,
    IReadOnlyList<SubsetResult> Subsets,
    JsonObject Input,
    PairScores Scores)
{
    public JsonObject ToJson()
    {
        var subsets = new JsonObject();
        foreach (var group in Subsets.GroupBy(s => s.Key))
        {
            var values = new JsonObject();
            foreach (var s in group) values[s.Value] = new JsonObject { ["pairs"] = s.Pairs, ["accuracy"] = EstimateJson(s.Accuracy), ["mean_margin"] = s.MeanMargin };
            subsets[group.Key] = values;
        }
        return new JsonObject
        {
            ["name"] = Name,
            ["kind"] = Kind,
            ["pairs"] = Pairs,
            ["accuracy"] = EstimateJson(Accuracy),
            ["mean_margin"] = MeanMargin,
            ["mean_reward_chosen"] = MeanRewardChosen,
            ["mean_reward_rejected"] = MeanRewardRejected,
            ["reward_ties"] = Ties,
            ["calibration"] = new JsonObject
            {
                ["ece"] = Calibration.Ece,
                ["method"] = Calibration.Method,
                ["bins"] = new JsonArray(Calibration.Bins.Select(b => (JsonNode)new JsonObject
                {
                    ["lower"] = b.Lower, ["upper"] = b.Upper, ["pairs"] = b.Pairs, ["mean_confidence"] = b.MeanConfidence, ["accuracy"] = b.Accuracy,
                }).ToArray()),
            },
            ["length"] = new JsonObject
            {
                ["responses"] = Length.Responses,
                ["pearson"] = Length.Pearson,
                ["spearman"] = Length.Spearman,
                ["length_decided_pairs"] = Length.LengthDecidedPairs,
                ["rm_prefers_longer"] = Length.RmPrefersLonger,
                ["chosen_longer"] = Length.ChosenLonger,
                ["unit"] = "response tokens (the final assistant turn with its end-of-turn token)",
            },
            ["subsets"] = subsets,
            ["input"] = Input.DeepClone(),
        };
    }

    public static JsonObject EstimateJson(Estimate e) => new() { ["mean"] = e.Mean, ["lower"] = e.Lower, ["upper"] = e.Upper, ["n"] = e.N };
}

/// <summary>One reward model's results on every set.</summary>
public sealed record RewardModelEvalResult(string Model, IReadOnlyList<PairSetResult> Sets)
{
    public PairSetResult? Set(string name) => Sets.FirstOrDefault(s => s.Name == name);
}

/// <summary>Paired accuracy difference (model minus baseline, the first model) on the pairs both kept, with a
/// 95% bootstrap interval over pairs (one draw of pairs serves both models).</summary>
public sealed record AccuracyComparison(string Set, string Model, string Baseline, Estimate Difference);

/// <summary>What <see cref="RewardModelEvaluator.Evaluate"/> returns: every model on every set, and comparisons
/// with the first model when there are several.</summary>
/// <param name="Ensemble">With <c>--ensemble</c>: the rule and its members (the ensemble is the last of <paramref name="Models"/>).</param>
public sealed record RewardEvalReport(IReadOnlyList<RewardModelEvalResult> Models, IReadOnlyList<AccuracyComparison> Comparisons, string? WorldMethod, string IntervalMethod,
    JsonObject? Ensemble = null)
{
    public JsonObject ToJson()
    {
        var json = ToJsonWithoutEnsemble();
        if (Ensemble is not null) json["ensemble"] = Ensemble.DeepClone();
        return json;
    }

    JsonObject ToJsonWithoutEnsemble() => new()
    {
        ["models"] = new JsonArray(Models.Select(m => (JsonNode)new JsonObject
        {
            ["model"] = m.Model,
            ["sets"] = new JsonArray(m.Sets.Select(s => (JsonNode)s.ToJson()).ToArray()),
        }).ToArray()),
        ["comparisons"] = new JsonArray(Comparisons.Select(c => (JsonNode)new JsonObject
        {
            ["set"] = c.Set, ["model"] = c.Model, ["baseline"] = c.Baseline, ["accuracy_difference"] = PairSetResult.EstimateJson(c.Difference),
        }).ToArray()),
        ["world_pairs"] = WorldMethod,
        ["accuracy_interval"] = IntervalMethod,
    };
}
