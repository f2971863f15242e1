using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>The critic-free algorithms: k samples per prompt, a baseline from the group, no value model.</summary>
public enum GroupRlAlgorithm
{
    /// <summary>REINFORCE leave-one-out (Ahmadian et al. 2024): baseline = mean of the other k-1 rewards; the KL
    /// penalty is folded into the sequence reward (as TRL's RLOOTrainer).</summary>
    Rloo,
    /// <summary>GRPO (Shao et al. 2024): group-normalised rewards; the KL to the reference is a k3 loss term.</summary>
    Grpo,
}

/// <summary>
/// An RLOO or GRPO run (<c>preflab rloo</c> / <c>preflab grpo</c>; the lab builds one too): the shared online RL
/// options plus the group's. Defaults: k = 4 samples per prompt; RLOO β 0.05 in the reward with k1 (TRL's RLOO);
/// GRPO β 0.04 on a k3 loss term (the GRPO paper), rewards scaled by the group's std; clip 0.2; the GRPO paper's
/// per-sequence loss normalisation; one pass over one minibatch per rollout (fully on-policy), as PPO's default.
/// </summary>
public sealed record GroupRlJobOptions : OnlineRlOptions
{
    public required GroupRlAlgorithm Algorithm { get; init; }
    /// <summary>k: samples per prompt (≥ 2).</summary>
    public int NumGenerations { get; init; } = 4;
    /// <summary>KL coefficient; null: 0.05 for RLOO (reward penalty), 0.04 for GRPO (loss term).</summary>
    public double? Beta { get; init; }
    /// <summary>RLOO's KL estimator in the reward (k1 default); GRPO's loss term is always k3.</summary>
    public KlEstimatorKind? KlEstimator { get; init; }
    public double ClipRange { get; init; } = GroupPolicyLoss.DefaultClipRange;
    /// <summary>GRPO's reduction of per-token losses. RLOO has none: its loss is one ratio per sequence (<see cref="RlooPolicyLoss"/>).</summary>
    public GroupLossNormalization LossNormalization { get; init; } = GroupLossNormalization.PerSequence;
    /// <summary>GRPO: divide by the group's std (false: Dr. GRPO's mean-only centring).</summary>
    public bool ScaleRewards { get; init; } = true;

    public const double DefaultRlooBeta = 0.05;

    public double EffectiveBeta => Beta ?? (Algorithm == GroupRlAlgorithm.Rloo ? DefaultRlooBeta : Grpo.DefaultBeta);
    public KlEstimatorKind EffectiveKlEstimator => KlEstimator ?? (Algorithm == GroupRlAlgorithm.Rloo ? KlEstimatorKind.K1 : KlEstimatorKind.K3);

    public override void Validate()
    {
        base.Validate();
        if (NumGenerations < 2) throw UserError.InOption("num-generations", $"must be at least 2 (a group needs a baseline), not {NumGenerations}");
        if (Beta is double b && (!(b >= 0) || !double.IsFinite(b))) throw UserError.InOption("beta", $"must be a finite number >= 0, not {b}");
        if (Algorithm == GroupRlAlgorithm.Grpo && KlEstimator is { } k && k != KlEstimatorKind.K3)
            throw UserError.InOption("kl-estimator", "GRPO's KL loss term is k3 (the estimator option applies to RLOO's reward)");
        if (Algorithm == GroupRlAlgorithm.Rloo && !ScaleRewards)
            throw UserError.InOption("no-scale-rewards", "applies to GRPO only (RLOO's baseline does not scale)");
        if (!(ClipRange > 0) || !double.IsFinite(ClipRange)) throw UserError.InOption("cliprange", $"must be a positive number, not {ClipRange}");
        if (Algorithm == GroupRlAlgorithm.Rloo && LossNormalization != GroupLossNormalization.PerSequence)
            throw UserError.InOption("loss-normalization", "applies to GRPO only (RLOO's loss is one importance ratio per sequence, averaged over sequences)");
    }
}
