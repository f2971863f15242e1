using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>The clipped policy loss and its diagnostics.</summary>
/// <param name="Loss">0-dim, differentiable w.r.t. the new log-probs (`loss/policy`).</param>
/// <param name="ClipFraction">`policy/clipfrac`: fraction of response tokens where the clipped term is the larger (active) one.</param>
/// <param name="ApproxKl">`policy/approxkl`: ½ · masked mean of (new - old)² (TRL's estimator of KL(old ‖ new)).</param>
/// <param name="Ratio">[batch, resp] exp(new - old), detached; exactly 1 at masked positions.</param>
public sealed record PolicyLossResult(Tensor Loss, double ClipFraction, double ApproxKl, Tensor Ratio);

/// <summary>The clipped value loss and its diagnostic.</summary>
/// <param name="Loss">0-dim, differentiable w.r.t. the new values (`loss/value`), already including the ½ factor but not the value weight.</param>
/// <param name="ClipFraction">`val/clipfrac`: fraction of response tokens where the clipped squared error is the larger one.</param>
public sealed record ValueLossResult(Tensor Loss, double ClipFraction);

/// <summary>
/// PPO's clipped surrogate losses (Schulman et al. 2017), token-level over right-padded responses, as TRL's PPOTrainer
/// and OpenRLHF compute them.
///
/// Policy: ρ_t = exp(log π_θ(y_t) - log π_old(y_t)) where π_old is the BEHAVIOUR policy whose log-probs were stored
/// during the rollout (at the sampling temperature) — never the frozen reference, which only enters through the
/// reward's KL penalty; mixing them up makes the first ratio ≠ 1 and clips from the start.
/// loss = masked mean over all response tokens of the minibatch of max(-Â_t ρ_t, -Â_t clip(ρ_t, 1-ε, 1+ε)).
/// Value: V_clip = V_old + clip(V_θ - V_old, -ε_v, ε_v); loss = ½ masked mean of max((V_θ - R)², (V_clip - R)²).
/// The trainer adds the value loss with weight 0.1 (the paper) to its own optimizer's objective.
/// Old log-probs, old values, advantages and returns are treated as constants (detached).
/// </summary>
public static class PpoLosses
{
    public const double DefaultClipRange = 0.2;
    public const double DefaultValueClipRange = 0.2;
    public const double DefaultValueCoefficient = 0.1;

    /// <summary>
    /// Clipped policy loss. [batch, resp] x4 -> <see cref="PolicyLossResult"/>. Gradient per selected token:
    /// -Â_t ρ_t / N where the unclipped term is active (or inside the clip range), 0 where the clipped one is,
    /// N = number of selected tokens.
    /// </summary>
    public static PolicyLossResult PolicyLoss(Tensor newLogProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, double clipRange = DefaultClipRange)
    {
        Masks.RequireFloating("new log-probs", newLogProbs);
        Masks.RequireSameShape("new log-probs", newLogProbs, "old log-probs", oldLogProbs);
        Masks.RequireSameShape("new log-probs", newLogProbs, "advantages", advantages);
        Masks.RequireSameShape("new log-probs", newLogProbs, "mask", mask);
        RequireClip(clipRange, nameof(clipRange));
        using var scope = NewDisposeScope();
        // Zero the log-ratio at masked positions before exp: the padding holds arbitrary numbers (TRL stores 1.0),
        // and exp of garbage could overflow and poison the gradient through where's unselected branch.
        var logRatio = Masks.Fill(newLogProbs - oldLogProbs.detach().to_type(newLogProbs.dtype), mask);
        var ratio = logRatio.exp();
        var advantage = Masks.Fill(advantages.detach().to_type(newLogProbs.dtype), mask);
        var unclipped = advantage.neg() * ratio;
        var clipped = advantage.neg() * ratio.clamp(1.0 - clipRange, 1.0 + clipRange);
        var loss = Masked.Mean(maximum(unclipped, clipped), mask);
        double clipFraction, approxKl;
        using (no_grad())
        {
            clipFraction = Masked.Mean(clipped.gt(unclipped).to_type(ScalarType.Float64), mask).item<double>();
            // TRL averages over every position including padding (filled so the difference is 0 there), which
            // dilutes the number by the padding fraction; we average over response tokens only.
            approxKl = ApproxKl(logRatio.detach(), mask);
        }
        return new PolicyLossResult(loss.MoveToOuterDisposeScope(), clipFraction, approxKl, ratio.detach().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Clipped value loss with the ½ factor. [batch, resp] x4 -> <see cref="ValueLossResult"/>. Gradient per selected
    /// token: (V_θ - R) / N where the unclipped error is the larger (or V_θ is within ε_v of V_old), 0 otherwise.
    /// </summary>
    /// <summary>
    /// `policy/approxkl`, TRL's estimator of KL(old ‖ new): ½ · mean of log(π/π_old)², over the selected tokens of
    /// <paramref name="mask"/> ([batch, seq] log-ratios: PPO, GRPO), or over all elements without one ([rows]
    /// sequence log-ratios: RLOO). The one definition every online algorithm logs. -> a number.
    /// </summary>
    public static double ApproxKl(Tensor logRatio, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var squared = logRatio.detach().Squared();
        return 0.5 * (mask is null ? squared.mean() : Masked.Mean(squared, mask)).to_type(ScalarType.Float64).item<double>();
    }

    public static ValueLossResult ValueLoss(Tensor newValues, Tensor oldValues, Tensor returns, Tensor mask, double clipRange = DefaultValueClipRange)
    {
        Masks.RequireFloating("new values", newValues);
        Masks.RequireSameShape("new values", newValues, "old values", oldValues);
        Masks.RequireSameShape("new values", newValues, "returns", returns);
        Masks.RequireSameShape("new values", newValues, "mask", mask);
        RequireClip(clipRange, nameof(clipRange));
        using var scope = NewDisposeScope();
        var value = Masks.Fill(newValues, mask);
        var old = Masks.Fill(oldValues.detach().to_type(newValues.dtype), mask);
        var target = Masks.Fill(returns.detach().to_type(newValues.dtype), mask);
        var clippedValue = old + (value - old).clamp(-clipRange, clipRange);
        var unclippedError = (value - target).Squared();
        var clippedError = (clippedValue - target).Squared();
        var loss = Masked.Mean(maximum(unclippedError, clippedError), mask).mul(0.5);
        double clipFraction;
        using (no_grad())
            clipFraction = Masked.Mean(clippedError.gt(unclippedError).to_type(ScalarType.Float64), mask).item<double>();
        return new ValueLossResult(loss.MoveToOuterDisposeScope(), clipFraction);
    }

    static void RequireClip(double clip, string name)
    {
        if (!(clip > 0) || !double.IsFinite(clip))
            throw new ArgumentOutOfRangeException(name, clip, "the clip range must be a positive finite number");
    }
}
