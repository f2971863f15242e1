using System.Text.Json.Nodes;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.Ppo;

/// <summary>
/// Runs PPO (<c>preflab ppo</c>, and the lab): loads the session (policy, frozen reference, prompts, reward),
/// the value model, and runs the shared online loop. The run folder gets the trained policy (Hugging Face layout)
/// at its root and the value model in <c>value/</c>.
/// </summary>
public static class PpoJob
{
    public static TrainingResult Run(PpoJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        using var session = OnlineRlSession.Open(options);
        var (value, origin) = CreateValueModel(session, options);
        if (origin["note"] is JsonValue note) options.Console?.WriteLine($"ppo: {note.GetValue<string>()}");
        using var objective = new PpoObjective(session, options, value, origin);
        return OnlineTrainer.Run(session, objective);
    }

    /// <summary>
    /// The value model: the reward model's weights (the paper's choice) when it reads the policy's tokens; otherwise
    /// (gold reward, or a reward model with another tokenizer) the policy's backbone with a new scalar head.
    /// When the reward is normalised, (r - mean) / std, the copied score head is divided by std, so the value
    /// model's initial outputs have the spread of the rewards it will be trained to predict. The mean cannot be
    /// taken out as well: Hugging Face score heads have no bias, and folding it into the weights would change
    /// what the backbone features mean; the first value updates absorb the offset of -mean / std.
    /// </summary>
    public static (ScalarHeadModel Model, JsonObject Origin) CreateValueModel(OnlineRlSession session, PpoJobOptions options)
    {
        if (session.RewardModelFolder is string rm && session.RewardSharesTokens)
        {
            var model = ScalarHeadModel.Load(rm, options.Training.Compute());
            var origin = new JsonObject { ["init"] = "reward_model", ["folder"] = rm };
            if (session.Reward is EnsembleRewardScorer) origin["ensemble"] = "initialised from the ensemble's first member";
            if (session.PrimaryRewardModel is { IsNormalized: true } scorer)
            {
                double std = scorer.Normalizer.Std;
                using (TorchSharp.torch.no_grad()) model.ScoreWeight.div_(std);
                origin["rescaled"] = $"score head divided by the reward normalisation's std ({std:G6}); its outputs are offset by -mean/std ({-scorer.Normalizer.Mean / std:G6}) from the normalised scale until trained";
            }
            return (model, origin);
        }
        long seed = Seeding.Derive(options.Training.Seed, "ppo/value-head");
        string why = session.RewardModelFolder is null
            ? "the reward is the gold judge, there is no reward model"
            : "the reward model tokenizes differently from the policy";
        return (ScalarHeadModel.FromCausalLM(options.Policy, seed, options.Training.Compute()), new JsonObject
        {
            ["init"] = "policy",
            ["folder"] = Path.GetFullPath(options.Policy),
            ["note"] = $"value model initialised from the policy with a new scalar head ({why})",
        });
    }
}
