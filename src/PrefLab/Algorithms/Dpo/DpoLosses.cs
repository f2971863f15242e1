using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo;

/// <summary>
/// What a DPO-family loss needs per pair: the four SUMMED sequence log-probs log π(y|x) over completion tokens
/// (<see cref="Sequences.LogProb"/>) and the completion lengths in tokens. All [batch]. The reference log-probs may
/// be null only for simpo; lengths may be null only for dpo and cdpo.
/// </summary>
public sealed record DpoInputs(
    Tensor PolicyChosenLogps,
    Tensor PolicyRejectedLogps,
    Tensor? ReferenceChosenLogps,
    Tensor? ReferenceRejectedLogps,
    Tensor? ChosenLengths,
    Tensor? RejectedLengths);

/// <summary>A DPO-family loss's result.</summary>
/// <param name="Losses">[batch] per-pair losses, differentiable w.r.t. the policy log-probs; the trainer takes the mean.</param>
/// <param name="ChosenRewards">[batch] implicit rewards of the chosen responses (detached).</param>
/// <param name="RejectedRewards">[batch] implicit rewards of the rejected responses (detached).</param>
public sealed record DpoLossOutput(Tensor Losses, Tensor ChosenRewards, Tensor RejectedRewards);

/// <summary>
/// The DPO family as pure functions of sequence log-probs. Notation: pc, pr = policy chosen/rejected summed
/// log-probs; rc, rr = reference; lc, lr = completion lengths; ā = a / max(l, 1) the length average (an empty
/// completion averages to 0: trainers drop such pairs and count them).
///
/// <list type="table">
/// <item><term>dpo</term><description>h = (pc - rc) - (pr - rr); loss = -log σ(β h) (Rafailov et al. 2023, Eq. 7).
///   Rewards β(pc - rc), β(pr - rr).</description></item>
/// <item><term>cdpo</term><description>loss = -(1-ε) log σ(β h) - ε log σ(-β h) (Mitchell 2023, "A note on DPO with
///   noisy preferences"; TRL's sigmoid loss with label_smoothing). Rewards as dpo.</description></item>
/// <item><term>ipo</term><description>h̄ = (p̄c - r̄c) - (p̄r - r̄r) on LENGTH-AVERAGED log-probs (TRL divides the
///   log-probs by the completion length when loss_type is ipo; the IPO paper's Eq. 17 itself uses sums);
///   loss = (h̄ - 1/(2β))², β playing the paper's τ. Rewards β(p̄c - r̄c), β(p̄r - r̄r).</description></item>
/// <item><term>simpo</term><description>loss = -log σ(β (p̄c - p̄r) - γ), reference-free (Meng et al. 2024, Eq. 6;
///   TRL's CPO trainer with loss_type simpo; SimPO's code writes it as β(Δ - γ/β)). Rewards β p̄c, β p̄r.</description></item>
/// <item><term>dpo-norm</term><description>loss = -log σ(β h̄): the DPO loss on length-averaged log-probs.
///   Rewards β(p̄c - r̄c), β(p̄r - r̄r).</description></item>
/// </list>
/// All use logsigmoid (stable for any margin); at policy == reference dpo, cdpo and dpo-norm give exactly ln 2
/// and every reference-based reward is exactly 0.
/// </summary>
public static class DpoLosses
{
    /// <summary>Plain DPO. [batch] x4 -> <see cref="DpoLossOutput"/>. d loss/d pc = -β σ(-β h) = -d loss/d pr.</summary>
    public static DpoLossOutput Dpo(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta)
    {
        RequireBeta(beta);
        RequireSameShapes(policyChosen, policyRejected, referenceChosen, referenceRejected);
        using var scope = NewDisposeScope();
        var chosenRatio = policyChosen - referenceChosen;
        var rejectedRatio = policyRejected - referenceRejected;
        var losses = (chosenRatio - rejectedRatio).mul(beta).log_sigmoid().neg();
        return Finish(losses, chosenRatio.mul(beta), rejectedRatio.mul(beta));
    }

    /// <summary>
    /// Conservative DPO with label smoothing ε in (0, 0.5). [batch] x4 -> <see cref="DpoLossOutput"/>.
    /// d loss/d pc = -β[(1-ε) σ(-β h) - ε σ(β h)].
    /// </summary>
    public static DpoLossOutput Cdpo(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta, double labelSmoothing)
    {
        RequireBeta(beta);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 0.5)");
        RequireSameShapes(policyChosen, policyRejected, referenceChosen, referenceRejected);
        using var scope = NewDisposeScope();
        var chosenRatio = policyChosen - referenceChosen;
        var rejectedRatio = policyRejected - referenceRejected;
        var logits = (chosenRatio - rejectedRatio).mul(beta);
        var losses = logits.log_sigmoid().mul(-(1.0 - labelSmoothing)) - logits.neg().log_sigmoid().mul(labelSmoothing);
        return Finish(losses, chosenRatio.mul(beta), rejectedRatio.mul(beta));
    }

    /// <summary>
    /// IPO on length-averaged log-probs (as TRL). [batch] x6 -> <see cref="DpoLossOutput"/>.
    /// d loss/d pc = 2 (h̄ - 1/(2β)) / lc.
    /// </summary>
    public static DpoLossOutput Ipo(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected,
        Tensor chosenLengths, Tensor rejectedLengths, double beta)
    {
        RequireBeta(beta);
        RequireSameShapes(policyChosen, policyRejected, referenceChosen, referenceRejected, chosenLengths, rejectedLengths);
        using var scope = NewDisposeScope();
        var chosenRatio = Average(policyChosen, chosenLengths) - Average(referenceChosen, chosenLengths);
        var rejectedRatio = Average(policyRejected, rejectedLengths) - Average(referenceRejected, rejectedLengths);
        var losses = (chosenRatio - rejectedRatio - 1.0 / (2.0 * beta)).Squared();
        return Finish(losses, chosenRatio.mul(beta), rejectedRatio.mul(beta));
    }

    /// <summary>
    /// SimPO: reference-free, length-averaged, target margin γ ≥ 0. [batch] x4 -> <see cref="DpoLossOutput"/>.
    /// d loss/d pc = -(β / lc) σ(-(β Δ̄ - γ)).
    /// </summary>
    public static DpoLossOutput Simpo(Tensor policyChosen, Tensor policyRejected, Tensor chosenLengths, Tensor rejectedLengths, double beta, double gamma)
    {
        RequireBeta(beta);
        if (!(gamma >= 0) || !double.IsFinite(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "the SimPO target margin must be a finite number >= 0");
        RequireSameShapes(policyChosen, policyRejected, chosenLengths, rejectedLengths);
        using var scope = NewDisposeScope();
        var chosenAverage = Average(policyChosen, chosenLengths);
        var rejectedAverage = Average(policyRejected, rejectedLengths);
        var losses = ((chosenAverage - rejectedAverage).mul(beta) - gamma).log_sigmoid().neg();
        return Finish(losses, chosenAverage.mul(beta), rejectedAverage.mul(beta));
    }

    /// <summary>DPO on length-averaged log-probs. [batch] x6 -> <see cref="DpoLossOutput"/>. d loss/d pc = -(β / lc) σ(-β h̄).</summary>
    public static DpoLossOutput DpoNorm(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected,
        Tensor chosenLengths, Tensor rejectedLengths, double beta)
    {
        RequireBeta(beta);
        RequireSameShapes(policyChosen, policyRejected, referenceChosen, referenceRejected, chosenLengths, rejectedLengths);
        using var scope = NewDisposeScope();
        var chosenRatio = Average(policyChosen, chosenLengths) - Average(referenceChosen, chosenLengths);
        var rejectedRatio = Average(policyRejected, rejectedLengths) - Average(referenceRejected, rejectedLengths);
        var losses = (chosenRatio - rejectedRatio).mul(beta).log_sigmoid().neg();
        return Finish(losses, chosenRatio.mul(beta), rejectedRatio.mul(beta));
    }

    /// <summary>Validates <paramref name="options"/> (<see cref="DpoOptions.Validate"/>) and computes its loss.</summary>
    public static DpoLossOutput Compute(DpoInputs inputs, DpoOptions options) => Compute(inputs, options.Validate());

    /// <summary>The loss <paramref name="settings"/> names, on <paramref name="inputs"/>.</summary>
    public static DpoLossOutput Compute(DpoInputs inputs, DpoSettings settings)
    {
        string name = DpoLossTypes.Name(settings.Loss);
        Tensor Reference(Tensor? t, string what) =>
            t ?? throw new ArgumentException($"--loss {name} needs the reference {what} log-probs");
        Tensor Length(Tensor? t, string what) =>
            t ?? throw new ArgumentException($"--loss {name} needs the {what} completion lengths");
        return settings.Loss switch
        {
            DpoLossType.Dpo => Dpo(inputs.PolicyChosenLogps, inputs.PolicyRejectedLogps,
                Reference(inputs.ReferenceChosenLogps, "chosen"), Reference(inputs.ReferenceRejectedLogps, "rejected"), settings.Beta),
            DpoLossType.Cdpo => Cdpo(inputs.PolicyChosenLogps, inputs.PolicyRejectedLogps,
                Reference(inputs.ReferenceChosenLogps, "chosen"), Reference(inputs.ReferenceRejectedLogps, "rejected"),
                settings.Beta, settings.LabelSmoothing),
            DpoLossType.Ipo => Ipo(inputs.PolicyChosenLogps, inputs.PolicyRejectedLogps,
                Reference(inputs.ReferenceChosenLogps, "chosen"), Reference(inputs.ReferenceRejectedLogps, "rejected"),
                Length(inputs.ChosenLengths, "chosen"), Length(inputs.RejectedLengths, "rejected"), settings.Beta),
            DpoLossType.Simpo => Simpo(inputs.PolicyChosenLogps, inputs.PolicyRejectedLogps,
                Length(inputs.ChosenLengths, "chosen"), Length(inputs.RejectedLengths, "rejected"), settings.Beta, settings.SimpoGamma),
            DpoLossType.DpoNorm => DpoNorm(inputs.PolicyChosenLogps, inputs.PolicyRejectedLogps,
                Reference(inputs.ReferenceChosenLogps, "chosen"), Reference(inputs.ReferenceRejectedLogps, "rejected"),
                Length(inputs.ChosenLengths, "chosen"), Length(inputs.RejectedLengths, "rejected"), settings.Beta),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Loss, null),
        };
    }

    // a / max(l, 1), with l converted to a's dtype (lengths may be int64).
    static Tensor Average(Tensor logps, Tensor lengths) =>
        logps / lengths.to_type(logps.dtype).clamp_min(1.0);

    static DpoLossOutput Finish(Tensor losses, Tensor chosenRewards, Tensor rejectedRewards) => new(
        losses.MoveToOuterDisposeScope(),
        chosenRewards.detach().MoveToOuterDisposeScope(),
        rejectedRewards.detach().MoveToOuterDisposeScope());

    static void RequireBeta(double beta)
    {
        if (!(beta > 0) || !double.IsFinite(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be a positive finite number");
    }

    static void RequireSameShapes(Tensor first, params Tensor[] others)
    {
        Masks.RequireDim("policy chosen log-probs", first, 1);
        Masks.RequireFloating("policy chosen log-probs", first);
        foreach (var other in others) Masks.RequireSameShape("policy chosen log-probs", first, "every other DPO input", other);
    }
}
