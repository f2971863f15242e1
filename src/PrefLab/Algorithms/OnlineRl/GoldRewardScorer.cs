using System.Text.Json.Nodes;
using PrefLab.Data.Records;
using PrefLab.Runtime;
using PrefLab.World;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The Preference World's gold judge as a reward (<c>--reward gold</c>) or as the <c>gold/score</c> monitor of a
/// reward-model run: GoldScore.Overall in [0, 1] of the response text to the prompt's (last) user message.
/// </summary>
public sealed class GoldRewardScorer : IRewardScorer
{
    GoldRewardScorer(WorldInstance world) => World = world;

    public WorldInstance World { get; }

    public static GoldRewardScorer Load(string worldDirectory)
    {
        if (!Directory.Exists(worldDirectory)) throw UserError.InOption("world", $"folder not found: {worldDirectory}");
        return new GoldRewardScorer(WorldInstance.Load(worldDirectory));
    }

    /// <summary>The text the judge knows a prompt by: its last user message.</summary>
    public static string UserText(IReadOnlyList<Message> prompt) =>
        prompt.LastOrDefault(m => m.Role == Roles.User)?.Content ?? throw new ArgumentException("a prompt without a user turn");

    /// <summary>Refuses prompts the World did not emit (it has gold scores only for its own), naming the first.</summary>
    public void CheckPrompts(PromptPool pool)
    {
        for (int i = 0; i < pool.Count; i++)
        {
            var record = pool.Records[i];
            if (World.Judge.Knows(UserText(record.Messages))) continue;
            string what = $"the prompt is not one of the World's ({World.Directory}), so it has no gold score";
            throw record.Origin is { } at ? at.Error("prompt", what) : UserError.InOption("prompts", what);
        }
    }

    public JsonObject Describe() => new()
    {
        ["kind"] = "gold",
        ["world"] = World.Directory,
        ["range"] = "[0, 1] (GoldScore.Overall)",
    };

    public double[] Score(ScoringBatch batch)
    {
        var scores = new double[batch.Count];
        for (int i = 0; i < scores.Length; i++)
            scores[i] = World.Judge.Score(UserText(batch.Prompts[i]), batch.Responses[i]).Overall;
        return scores;
    }

    public void Dispose() { }
}
