using System.Text.Json.Nodes;
using PrefLab.Rewards;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// Several reward models as one reward (<c>--reward-model</c> repeated): each member scores the batch as a lone
/// <see cref="RewardModelScorer"/> would (its own stored normalisation applied, or raw head outputs when it has
/// none: run.json says which), then <see cref="RewardEnsemble"/> combines the members' scores (mean, min or
/// weights). The members' scores of the last batch stay readable for the per-member metrics
/// (<c>objective/scores/member_i</c>).
/// </summary>
public sealed class EnsembleRewardScorer : IRewardScorer
{
    EnsembleRewardScorer(IReadOnlyList<RewardModelScorer> members, RewardEnsemble rule)
    {
        Members = members;
        Rule = rule;
    }

    public IReadOnlyList<RewardModelScorer> Members { get; }
    public RewardEnsemble Rule { get; }
    /// <summary>[member][sample]: every member's (normalised) scores of the last <see cref="Score"/> call.</summary>
    public IReadOnlyList<double[]> LastMemberScores { get; private set; } = [];

    /// <summary>Loads every member (errors name <c>--reward-model</c>); a failure disposes the ones already loaded.</summary>
    public static EnsembleRewardScorer Load(IReadOnlyList<string> folders, RewardEnsemble rule, string policyFolder, Text.Chat.ChatFormat policyFormat,
        int forwardBatch, bool normalize)
    {
        var members = new List<RewardModelScorer>();
        try
        {
            foreach (string folder in folders) members.Add(RewardModelScorer.Load(folder, policyFolder, policyFormat, forwardBatch, normalize));
            return new EnsembleRewardScorer(members, rule);
        }
        catch
        {
            foreach (var member in members) member.Dispose();
            throw;
        }
    }

    public JsonObject Describe()
    {
        var json = new JsonObject
        {
            ["kind"] = "reward_model_ensemble",
            ["ensemble"] = Rule.Describe(),
            ["members"] = new JsonArray(Members.Select((m, i) =>
            {
                var member = m.Describe();
                member["index"] = i;
                member["metric"] = MetricName(i);
                return (JsonNode)member;
            }).ToArray()),
        };
        bool normalized = Members.Any(m => m.IsNormalized), raw = Members.Any(m => !m.IsNormalized);
        if (normalized && raw)
            json["scale_warning"] = "some members are normalised and some score raw head outputs, so their scales differ; fit the raw ones with `preflab rm normalize`";
        return json;
    }

    /// <summary>The metric of member <paramref name="index"/>'s mean score per update.</summary>
    public static string MetricName(int index) => $"objective/scores/member_{index}";

    /// <summary>Console lines: each member's normalisation.</summary>
    public IEnumerable<string> NormalizationNotes() =>
        Members.Select((m, i) => $"member {i} ({m.Folder}): {m.NormalizationNote()}");

    public double[] Score(ScoringBatch batch)
    {
        var scores = Members.Select(m => m.Score(batch)).ToArray();
        LastMemberScores = scores;
        return Rule.Combine(scores);
    }

    public void Dispose()
    {
        foreach (var member in Members) member.Dispose();
    }
}
