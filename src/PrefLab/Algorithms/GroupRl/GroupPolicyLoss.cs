using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Kl;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>How per-token losses become one number.</summary>
public enum GroupLossNormalization
{
    /// <summary>
    /// The GRPO paper's Eq. 3: mean over each sequence's tokens, then mean over sequences (TRL's loss_type "grpo").
    /// Long and short responses weigh the same in total, so each token of a long response weighs less.
    /// </summary>
    PerSequence,
    /// <summary>
    /// DAPO's token-level mean (Yu et al. 2025; TRL's "bnpo"): Σ over all tokens of the batch / number of tokens,
    /// so every token weighs the same.
    /// </summary>
    Token,
}

/// <summary>The group policy loss and its diagnostics.</summary>
/// <param name="Loss">0-dim, differentiable w.r.t. the new log-probs.</param>
/// <param name="ClipFraction">`policy/clipfrac`: fraction of selected tokens where the clipped term is active.</param>
/// <param name="Kl">masked token mean of k3(π_θ, π_ref) (0 when β = 0 and no reference is given).</param>
/// <param name="Ratio">[batch, resp] exp(new - old), detached; 1 at masked positions.</param>
public sealed record GroupPolicyLossResult(Tensor Loss, double ClipFraction, double Kl, Tensor Ratio);

/// <summary>
/// The clipped objective of GRPO (Shao et al. 2024, Eq. 3) and RLOO-with-clipping, per token:
/// ℓ_t = max(-A ρ_t, -A clip(ρ_t, 1-ε, 1+ε)) + β · k3_t, with ρ_t = exp(log π_θ - log π_old) against the rollout
/// (behaviour) policy and k3_t = π_ref/π_θ - log(π_ref/π_θ) - 1 against the frozen reference (the KL is a loss
/// term, not part of the reward; its gradient is 1 - π_ref/π_θ per token). A is the sequence's advantage
/// broadcast over its tokens. Reduction: <see cref="GroupLossNormalization"/> (default: the paper's per-sequence
/// mean). RLOO uses β = 0 and a KL-penalised reward instead.
/// </summary>
public static class GroupPolicyLoss
{
    public const double DefaultClipRange = 0.2;

    /// <summary>The shapes both group losses (GRPO's and RLOO's) take: [batch, resp] new and old log-probs and mask
    /// (floating log-probs), [batch] advantages.</summary>
    internal static void RequireRollout(Tensor newLogProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask)
    {
        Masks.RequireDim("new log-probs", newLogProbs, 2);
        Masks.RequireFloating("new log-probs", newLogProbs);
        Masks.RequireSameShape("new log-probs", newLogProbs, "old log-probs", oldLogProbs);
        Masks.RequireSameShape("new log-probs", newLogProbs, "mask", mask);
        Masks.RequireDim("advantages", advantages, 1);
        if (advantages.shape[0] != newLogProbs.shape[0])
            throw new ArgumentException($"{advantages.shape[0]} advantages for {newLogProbs.shape[0]} sequences.");
    }

    /// <summary>
    /// [batch, resp] new/old/ref log-probs, [batch] advantages, [batch, resp] mask -> <see cref="GroupPolicyLossResult"/>.
    /// <paramref name="refLogProbs"/> may be null only when <paramref name="beta"/> is 0. An all-masked row
    /// contributes 0 to the per-sequence mean but still counts as a sequence (TRL clamps the token count to 1).
    /// </summary>
    public static GroupPolicyLossResult Compute(Tensor newLogProbs, Tensor oldLogProbs, Tensor? refLogProbs, Tensor advantages, Tensor mask,
        double beta = Grpo.DefaultBeta, double clipRange = DefaultClipRange, GroupLossNormalization normalization = GroupLossNormalization.PerSequence)
    {
        RequireRollout(newLogProbs, oldLogProbs, advantages, mask);
        if (!(beta >= 0) || !double.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be a finite number >= 0");
        if (!(clipRange > 0) || !double.IsFinite(clipRange)) throw new ArgumentOutOfRangeException(nameof(clipRange), clipRange, "the clip range must be positive");
        if (beta > 0 && refLogProbs is null) throw new ArgumentException("β > 0 needs the reference log-probs.", nameof(refLogProbs));
        if (refLogProbs is not null) Masks.RequireSameShape("new log-probs", newLogProbs, "reference log-probs", refLogProbs);

        using var scope = NewDisposeScope();
        var dtype = newLogProbs.dtype;
        var policy = Masks.Fill(newLogProbs, mask);
        var logRatio = Masks.Fill(policy - oldLogProbs.detach().to_type(dtype), mask);
        var ratio = logRatio.exp();
        var advantage = advantages.detach().to_type(dtype).unsqueeze(1);                 // [batch, 1]
        var unclipped = advantage.neg() * ratio;
        var clipped = advantage.neg() * ratio.clamp(1.0 - clipRange, 1.0 + clipRange);
        var perToken = maximum(unclipped, clipped);
        Tensor? kl = null;
        if (refLogProbs is not null)
        {
            kl = Masks.Fill(KlEstimators.K3(policy, Masks.Fill(refLogProbs.detach().to_type(dtype), mask)), mask);
            if (beta > 0) perToken = perToken + kl * beta;
        }
        var loss = normalization switch
        {
            GroupLossNormalization.PerSequence => Masked.Mean(perToken, mask, -1).mean(),
            GroupLossNormalization.Token => Masked.Mean(perToken, mask),
            _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, null),
        };
        double clipFraction, meanKl;
        using (no_grad())
        {
            clipFraction = Masked.Mean(clipped.gt(unclipped).to_type(ScalarType.Float64), mask).item<double>();
            meanKl = kl is null ? 0.0 : Masked.Mean(kl.detach().to_type(ScalarType.Float64), mask).item<double>();
        }
        return new GroupPolicyLossResult(loss.MoveToOuterDisposeScope(), clipFraction, meanKl, ratio.detach().MoveToOuterDisposeScope());
    }
}
