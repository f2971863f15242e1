using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>
/// Rollout statistics of one PPO/RLOO/GRPO batch, with DESIGN.md's (TRL's) names in <see cref="Named"/>.
/// Sequence-level quantities are summed over each response's tokens, then averaged over responses.
/// </summary>
/// <param name="Scores">`objective/scores`: mean of the score added at the last token (the penalty where EOS is missing).</param>
/// <param name="Kl">`objective/kl`: mean over responses of Σ_t kl_t (the shaping's estimator).</param>
/// <param name="SqrtKl">`objective/sqrt_kl`: sqrt(max(Kl, 0)), the x axis of the reward-vs-KL plot (Bai et al. 2022).</param>
/// <param name="NonScoreReward">`objective/non_score_reward`: mean over responses of Σ_t -β kl_t.</param>
/// <param name="RlhfReward">`objective/rlhf_reward`: Scores + NonScoreReward.</param>
/// <param name="Entropy">`objective/entropy`: mean over responses of Σ_t -log π(y_t), TRL's sampled estimate of the sequence entropy.</param>
/// <param name="EosFraction">`eos_fraction`: fraction of responses that ended with EOS.</param>
/// <param name="ResponseLength">`response_length`: mean number of response tokens (EOS included).</param>
public sealed record RolloutMetrics(
    double Scores, double Kl, double SqrtKl, double NonScoreReward, double RlhfReward, double Entropy, double EosFraction, double ResponseLength)
{
    public IReadOnlyDictionary<string, double> Named() => new Dictionary<string, double>
    {
        ["objective/scores"] = Scores,
        ["objective/kl"] = Kl,
        ["objective/sqrt_kl"] = SqrtKl,
        ["objective/non_score_reward"] = NonScoreReward,
        ["objective/rlhf_reward"] = RlhfReward,
        ["objective/entropy"] = Entropy,
        ["eos_fraction"] = EosFraction,
        ["response_length"] = ResponseLength,
    };

    /// <summary>
    /// Statistics from the shaped rewards, the rollout log-probs and the response mask.
    /// [batch, resp] log-probs and mask, [batch] hasEos.
    /// </summary>
    public static RolloutMetrics Compute(ShapedRewards shaped, Tensor logProbs, Tensor responseMask, Tensor hasEos)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double Mean(Tensor t) => t.detach().to_type(ScalarType.Float64).mean().item<double>();
        double scores = Mean(shaped.Scores);
        double kl = Mean(Masked.Sum(shaped.Kl, responseMask, -1));
        double nonScore = Mean(Masked.Sum(shaped.NonScoreRewards, responseMask, -1));
        double entropy = Mean(Masked.Sum(logProbs.detach().neg(), responseMask, -1));
        return new RolloutMetrics(
            Scores: scores,
            Kl: kl,
            SqrtKl: Math.Sqrt(Math.Max(kl, 0.0)),
            NonScoreReward: nonScore,
            RlhfReward: scores + nonScore,
            Entropy: entropy,
            EosFraction: Mean(Masks.AsFloat(hasEos, ScalarType.Float64)),
            ResponseLength: Mean(Sequences.Lengths(responseMask)));
    }
}
