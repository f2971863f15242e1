using PrefLab.Algorithms.Common;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>
/// RLOO's policy loss (Ahmadian et al. 2024; TRL's RLOOTrainer): the whole completion is one action. A sequence's
/// log-prob is the sum of its response tokens' log-probs, its importance ratio ρ_i = exp(Σ_t log π_θ - Σ_t log π_old)
/// is one number per sequence, and the clipped surrogate ℓ_i = max(-A_i ρ_i, -A_i clip(ρ_i, 1-ε, 1+ε)) is averaged
/// over sequences. Unlike a per-token mean it does not weight a sample by 1/length. The KL is in the reward
/// (<see cref="Rloo.KlPenalizedRewards"/>), so there is no KL term here.
/// </summary>
public static class RlooPolicyLoss
{
    /// <summary>
    /// [batch, resp] new/old log-probs, [batch] advantages, [batch, resp] mask -> loss (0-dim), the fraction of
    /// sequences whose clipped term is active, and the [batch] sequence ratios (detached). An all-masked row has
    /// log-prob 0 and ratio 1.
    /// </summary>
    public static GroupPolicyLossResult Compute(Tensor newLogProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask,
        double clipRange = GroupPolicyLoss.DefaultClipRange)
    {
        GroupPolicyLoss.RequireRollout(newLogProbs, oldLogProbs, advantages, mask);
        if (!(clipRange > 0) || !double.IsFinite(clipRange)) throw new ArgumentOutOfRangeException(nameof(clipRange), clipRange, "the clip range must be positive");

        using var scope = NewDisposeScope();
        var dtype = newLogProbs.dtype;
        var sequenceNew = Masked.Sum(newLogProbs, mask, -1);                                  // [batch]
        var sequenceOld = Masked.Sum(oldLogProbs.detach().to_type(dtype), mask, -1);          // [batch]
        var ratio = (sequenceNew - sequenceOld).exp();                                        // [batch]
        var advantage = advantages.detach().to_type(dtype);                                   // [batch]
        var unclipped = advantage.neg() * ratio;
        var clipped = advantage.neg() * ratio.clamp(1.0 - clipRange, 1.0 + clipRange);
        var loss = maximum(unclipped, clipped).mean();
        double clipFraction;
        using (no_grad()) clipFraction = clipped.gt(unclipped).to_type(ScalarType.Float64).mean().item<double>();
        return new GroupPolicyLossResult(loss.MoveToOuterDisposeScope(), clipFraction, 0.0, ratio.detach().MoveToOuterDisposeScope());
    }
}
