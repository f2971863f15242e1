using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.Ppo;

/// <summary>
/// A PPO run (<c>preflab ppo</c>; the lab builds one too): the shared online RL options plus PPO's. Defaults are
/// the paper's recipe (DESIGN.md): β 0.05 with the k1 estimator and a fixed controller, GAE γ 1.0 λ 0.95, advantages
/// whitened (rewards not), clip 0.2, value clip 0.2, value weight 0.1, lr 1e-6 for policy and value, one PPO epoch
/// over one minibatch per rollout (open-instruct's setting; TRL's PPOTrainer defaults to 4 epochs).
/// </summary>
public sealed record PpoJobOptions : OnlineRlOptions
{
    /// <summary>β of the per-token KL penalty r_t = -β kl_t (the initial β with <see cref="TargetKl"/>).</summary>
    public double KlCoef { get; init; } = 0.05;
    public KlEstimatorKind KlEstimator { get; init; } = KlEstimatorKind.K1;
    /// <summary>Target of the adaptive KL controller (Ziegler et al.); null keeps β fixed.</summary>
    public double? TargetKl { get; init; }
    /// <summary>Horizon of the adaptive controller, in samples (TRL's 10000).</summary>
    public double KlHorizon { get; init; } = 10000;
    public double Gamma { get; init; } = Gae.DefaultGamma;
    public double Lambda { get; init; } = Gae.DefaultLambda;
    /// <summary>Scale the shaped rewards by their masked standard deviation before GAE (off in the paper).</summary>
    public bool WhitenRewards { get; init; }
    public double ClipRange { get; init; } = PpoLosses.DefaultClipRange;
    public double ClipRangeValue { get; init; } = PpoLosses.DefaultValueClipRange;
    /// <summary>Weight of the value loss in the value model's objective (0.1).</summary>
    public double VfCoef { get; init; } = PpoLosses.DefaultValueCoefficient;
    /// <summary>The value model's learning rate; null: the policy's (<see cref="OnlineRlOptions.Training"/>'s Lr).</summary>
    public double? ValueLr { get; init; }

    public double EffectiveValueLr => ValueLr ?? Training.Lr;

    public override void Validate()
    {
        base.Validate();
        if (!(KlCoef >= 0) || !double.IsFinite(KlCoef)) throw UserError.InOption("kl-coef", $"must be a finite number >= 0, not {KlCoef}");
        if (TargetKl is double target)
        {
            if (!(target > 0) || !double.IsFinite(target)) throw UserError.InOption("target-kl", $"must be a positive number, not {target}");
            if (!(KlCoef > 0)) throw UserError.InOption("kl-coef", "must be positive with --target-kl (the adaptive controller scales it)");
            if (!(KlHorizon >= RolloutBatchSize)) throw UserError.InOption("kl-horizon", $"must be at least --rollout-batch-size ({RolloutBatchSize}), not {KlHorizon}");
        }
        else if (KlHorizon != 10000)
        {
            throw UserError.InOption("kl-horizon", "only applies with --target-kl (the adaptive KL controller)");
        }
        if (!(Gamma >= 0 && Gamma <= 1)) throw UserError.InOption("gamma", $"must be in [0, 1], not {Gamma}");
        if (!(Lambda >= 0 && Lambda <= 1)) throw UserError.InOption("lam", $"must be in [0, 1], not {Lambda}");
        if (!(ClipRange > 0) || !double.IsFinite(ClipRange)) throw UserError.InOption("cliprange", $"must be a positive number, not {ClipRange}");
        if (!(ClipRangeValue > 0) || !double.IsFinite(ClipRangeValue)) throw UserError.InOption("cliprange-value", $"must be a positive number, not {ClipRangeValue}");
        if (!(VfCoef > 0) || !double.IsFinite(VfCoef)) throw UserError.InOption("vf-coef", $"must be a positive number, not {VfCoef}");
        if (ValueLr is double v && (!(v >= 0) || double.IsInfinity(v))) throw UserError.InOption("value-lr", $"must be a non-negative number, not {v}");
    }

    /// <summary>The KL controller these options describe.</summary>
    public IKlController NewKlController(double? value = null) => TargetKl is double target
        ? new AdaptiveKlController(value ?? KlCoef, target, KlHorizon)
        : new FixedKlController(KlCoef);
}
