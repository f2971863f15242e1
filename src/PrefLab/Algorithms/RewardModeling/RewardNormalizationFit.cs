using System.Text.Json.Nodes;
using PrefLab.Data;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>Fits a <see cref="RewardNormalization"/> for a reward model and stores it in the model's folder.</summary>
public static class RewardNormalizationFit
{
    /// <summary>
    /// From a file of policy samples (prompt/response rows, conversations, or pairs: every response counts):
    /// the raw rewards' mean and population std, written to the folder's <c>reward_normalization.json</c>
    /// (replacing any earlier one). Samples that do not fit the model's length are left out and recorded.
    /// </summary>
    public static RewardNormalization FromResponses(string rewardModelFolder, string responsesFile, RewardModelOptions? options = null,
        ReadOptions? read = null)
    {
        options = (options ?? new RewardModelOptions()) with { Normalize = false };
        RewardNormalization fitted;
        using (var model = RewardModel.Load(rewardModelFolder, options))
        {
            var rewards = RewardFileScorer.RawRewards(model, responsesFile, read ?? new ReadOptions(), out var report);
            if (rewards.Count < 2)
                throw UserError.InOption("responses", $"{responsesFile}: {rewards.Count} responses could be scored ({report.Tokenization}); normalisation needs at least 2");
            fitted = RewardNormalization.Fit(rewards, new JsonObject
            {
                ["responses"] = report.Input,
                ["kind"] = report.Kind.ToString(),
                ["rows"] = report.Rows,
                ["unscored"] = report.Tokenization.DroppedTotal,
                ["max_length"] = model.MaxLength,
            });
        }
        fitted.Write(rewardModelFolder);
        return fitted;
    }
}
