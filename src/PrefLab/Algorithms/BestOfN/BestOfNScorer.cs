using System.Text.Json.Nodes;
using PrefLab.Rewards;
using PrefLab.Data.Collation;
using PrefLab.Data.Records;

namespace PrefLab.Algorithms.BestOfN;

/// <summary>
/// The reward model (or the ensemble's members, the first being <c>--reward-model</c>) of a best-of-N run, loaded
/// once and scoring each chunk of samples; <see cref="Describe"/> is what summary.json says about it.
/// </summary>
public sealed class BestOfNScorer : IBestOfNJudge, IDisposable
{
    readonly List<RewardModel> members = [];
    readonly List<CollationReport> collations = [];
    readonly RewardEnsemble? rule;

    public BestOfNScorer(string rewardModel, IReadOnlyList<string> additional, RewardEnsemble? rule, RewardModelOptions scoring)
    {
        this.rule = rule;
        try
        {
            foreach (string folder in (IEnumerable<string>)[rewardModel, .. additional])
            {
                members.Add(RewardModel.Load(folder, scoring));
                collations.Add(new CollationReport());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    RewardModel First => members[0];

    /// <summary>Whether rows carry <c>reward_raw</c> beside a normalised <c>reward</c> (one normalised model).</summary>
    public bool RawBesideReward => rule is null && First.IsNormalized;

    public SampleRewards Score(IReadOnlyList<IReadOnlyList<Message>> prompts, IReadOnlyList<string> responses)
    {
        var conversations = prompts.Select((p, i) => (IReadOnlyList<Message>)[.. p, Message.Assistant(responses[i])]).ToList();
        var raw = First.TryScoreRaw(conversations, collations[0]);
        if (rule is null)
            return new SampleRewards(raw.Select(r => r is double x ? First.Normalizer.Apply(x) : (double?)null).ToArray(), raw, null);
        var memberRewards = members.Select((m, j) =>
            (j == 0 ? raw : m.TryScoreRaw(conversations, collations[j])).Select(r => r is double x ? m.Normalizer.Apply(x) : (double?)null).ToArray())
            .ToList();
        return new SampleRewards(rule.Combine(memberRewards).ToArray(), raw, memberRewards);
    }

    /// <summary>summary.json's <c>reward_model</c>, <c>reward_normalized</c> and, with an ensemble, <c>ensemble</c>.</summary>
    public JsonObject Describe()
    {
        var json = new JsonObject
        {
            ["reward_model"] = First.Folder,
            ["reward_normalized"] = rule is null ? First.IsNormalized : members.All(m => m.IsNormalized),
        };
        if (rule is null) return json;
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
        json["ensemble"] = ensemble;
        return json;
    }

    public void Dispose()
    {
        foreach (var model in members) model.Dispose();
    }
}
