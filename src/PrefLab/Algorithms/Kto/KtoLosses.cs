using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Kto;

/// <summary>
/// What the KTO loss needs per example, all [batch]: the SUMMED completion log-probs log π(y|x) of the policy and
/// the reference, the same for the example's mismatched KL completion (its prompt with another example's
/// completion), and whether the completion is desirable.
/// </summary>
/// <param name="Desirable">[batch] bool: true for a desirable completion (TRL's label True).</param>
public sealed record KtoInputs(
    Tensor PolicyLogps,
    Tensor ReferenceLogps,
    Tensor PolicyKlLogps,
    Tensor ReferenceKlLogps,
    Tensor Desirable);

/// <summary>The KTO loss's result.</summary>
/// <param name="Losses">[batch] per-example losses, already weighted by λ_D or λ_U, differentiable w.r.t. the
/// policy's completion log-probs (not its KL log-probs: z0 is detached); the trainer takes the mean.</param>
/// <param name="Rewards">[batch] implicit rewards β (log π − log π_ref) (detached).</param>
/// <param name="Kl">Scalar z0: the batch's KL estimate, clamped at 0 (detached).</param>
/// <param name="Desirable">[batch] bool, as given.</param>
public sealed record KtoLossOutput(Tensor Losses, Tensor Rewards, Tensor Kl, Tensor Desirable);

/// <summary>
/// KTO (Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic Optimization", Eq. 8), with TRL's
/// <c>KTOTrainer</c> (loss_type "kto") as the reference for the details:
/// <list type="bullet">
/// <item>r = log π(y|x) − log π_ref(y|x), each summed over the completion's tokens;</item>
/// <item>z0 = max(0, mean over the batch of (log π(y'|x) − log π_ref(y'|x))) on the mismatched KL pairs (x, y'),
///   detached: the reference point is not a path for gradients;</item>
/// <item>desirable: λ_D (1 − σ(β (r − z0))); undesirable: λ_U (1 − σ(β (z0 − r)));</item>
/// <item>rewards β r (detached), reported per label as TRL's <c>rewards/chosen</c> and <c>rewards/rejected</c>.</item>
/// </list>
/// At policy == reference r = 0 and z0 = 0, so every example's loss is exactly λ/2.
/// d loss/d log π = −λ_D β σ'(β (r − z0)) &lt; 0 for a desirable example and +λ_U β σ'(β (z0 − r)) &gt; 0 for an
/// undesirable one (σ' = σ(1 − σ)).
/// </summary>
public static class KtoLosses
{
    public static KtoLossOutput Compute(KtoInputs inputs, KtoSettings settings)
    {
        Require(settings);
        Masks.RequireDim("policy log-probs", inputs.PolicyLogps, 1);
        Masks.RequireFloating("policy log-probs", inputs.PolicyLogps);
        Masks.RequireSameShape("policy log-probs", inputs.PolicyLogps, "reference log-probs", inputs.ReferenceLogps);
        Masks.RequireSameShape("policy log-probs", inputs.PolicyLogps, "desirable labels", inputs.Desirable);
        Masks.RequireDim("policy KL log-probs", inputs.PolicyKlLogps, 1);
        Masks.RequireSameShape("policy KL log-probs", inputs.PolicyKlLogps, "reference KL log-probs", inputs.ReferenceKlLogps);
        if (inputs.PolicyLogps.numel() == 0) throw new ArgumentException("an empty batch has no KTO loss", nameof(inputs));
        if (inputs.PolicyKlLogps.numel() == 0) throw new ArgumentException("the KL estimate needs at least one mismatched pair", nameof(inputs));
        if (inputs.Desirable.dtype != ScalarType.Bool) throw new ArgumentException("desirable labels must be a bool tensor", nameof(inputs));

        using var scope = NewDisposeScope();
        var kl = ReferencePoint(inputs.PolicyKlLogps, inputs.ReferenceKlLogps);
        var ratio = inputs.PolicyLogps - inputs.ReferenceLogps;
        var desirableLosses = (ratio - kl).mul(settings.Beta).sigmoid().neg().add(1.0).mul(settings.DesirableWeight);
        var undesirableLosses = (kl - ratio).mul(settings.Beta).sigmoid().neg().add(1.0).mul(settings.UndesirableWeight);
        var losses = where(inputs.Desirable, desirableLosses, undesirableLosses);
        return new KtoLossOutput(
            losses.MoveToOuterDisposeScope(),
            ratio.detach().mul(settings.Beta).MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            inputs.Desirable);
    }

    /// <summary>z0 = max(0, mean(policy − reference)) over the KL pairs, detached. [batch] x2 -> scalar.</summary>
    public static Tensor ReferencePoint(Tensor policyKlLogps, Tensor referenceKlLogps)
    {
        using var scope = NewDisposeScope();
        return (policyKlLogps.detach() - referenceKlLogps.detach()).mean().clamp_min(0.0).MoveToOuterDisposeScope();
    }

    static void Require(KtoSettings settings)
    {
        if (!(settings.Beta > 0) || !double.IsFinite(settings.Beta))
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Beta, "beta must be a positive finite number");
        if (!(settings.DesirableWeight > 0) || !(settings.UndesirableWeight > 0) ||
            !double.IsFinite(settings.DesirableWeight) || !double.IsFinite(settings.UndesirableWeight))
            throw new ArgumentOutOfRangeException(nameof(settings), "the desirable and undesirable weights must be positive finite numbers");
    }
}
