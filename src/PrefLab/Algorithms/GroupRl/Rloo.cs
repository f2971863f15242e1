using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>
/// REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al. 2024, "Back to Basics"): each sample's baseline is the
/// mean reward of the OTHER k - 1 samples of its prompt, A_i = r_i - (Σ_j r_j - r_i) / (k - 1)
/// (= k/(k-1) · (r_i - mean)). No value model. The reward is sequence-level and, in Ahmadian et al., already carries
/// the KL penalty (<see cref="KlPenalizedRewards"/>); the policy loss is then <see cref="GroupPolicyLoss"/> with
/// β = 0. Layout: see <see cref="GroupAdvantages"/>.
/// </summary>
public static class Rloo
{
    /// <summary>
    /// Leave-one-out advantages; groups whose rewards are all equal get exactly 0 and are counted.
    /// [prompts * k] -> <see cref="GroupAdvantages"/>. Needs k ≥ 2.
    /// </summary>
    public static GroupAdvantages Advantages(Tensor rewards, int groupSize)
    {
        using var scope = NewDisposeScope();
        var grouped = Groups.View(rewards, groupSize, minimumGroupSize: 2);              // [prompts, k]
        var baseline = (grouped.sum(1, keepdim: true) - grouped) / (groupSize - 1.0);     // mean of the others
        return Groups.Finish(grouped - baseline, Groups.ZeroVariance(grouped), rewards);
    }

    /// <summary>
    /// The sequence reward with the KL penalty folded in: score - β Σ_t kl_t over response tokens (Ahmadian et al.;
    /// TRL's RLOOTrainer). [batch], [batch, resp], [batch, resp] -> [batch].
    /// </summary>
    public static Tensor KlPenalizedRewards(Tensor scores, Tensor tokenKl, Tensor mask, double beta)
    {
        Masks.RequireDim("scores", scores, 1);
        if (!(beta >= 0) || !double.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be a finite number >= 0");
        using var scope = NewDisposeScope();
        var sequenceKl = Masked.Sum(tokenKl, mask, -1);
        if (!sequenceKl.shape.SequenceEqual(scores.shape))
            throw new ArgumentException($"scores [{string.Join(", ", scores.shape)}] do not match the KL's batch [{sequenceKl.shape[0]}].");
        return (scores.to_type(sequenceKl.dtype) - sequenceKl * beta).MoveToOuterDisposeScope();
    }
}
