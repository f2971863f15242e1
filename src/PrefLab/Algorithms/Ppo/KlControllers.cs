namespace PrefLab.Algorithms.Ppo;

/// <summary>Holds the KL coefficient β of the reward shaping and may adjust it after each rollout.</summary>
public interface IKlController
{
    /// <summary>The current β.</summary>
    double Value { get; }

    /// <summary>
    /// Called once per rollout batch with the batch's mean sequence KL (Σ_t kl_t averaged over responses, TRL's
    /// `objective/kl`) and the number of samples (responses) it covered.
    /// </summary>
    void Update(double currentKl, long samples);
}

/// <summary>A constant β (the paper's default: 0.05).</summary>
public sealed class FixedKlController(double value) : IKlController
{
    public double Value { get; } = value >= 0 && double.IsFinite(value)
        ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the KL coefficient must be a finite number >= 0");

    public void Update(double currentKl, long samples) { }
}

/// <summary>
/// The adaptive controller of Ziegler et al. 2019 (Fine-Tuning Language Models from Human Preferences, §2.2;
/// openai/lm-human-preferences, TRL's AdaptiveKLController): after each batch,
/// e = clip(KL / target - 1, -0.2, 0.2) and β ← β · (1 + e · samples / horizon). β grows when the policy drifts
/// beyond the target KL and shrinks when it stays under; the clip bounds the change per batch.
/// </summary>
public sealed class AdaptiveKlController : IKlController
{
    /// <summary>The bound on the proportional error.</summary>
    public const double ErrorClip = 0.2;

    public AdaptiveKlController(double initialValue, double target, double horizon)
    {
        if (!(initialValue > 0) || !double.IsFinite(initialValue))
            throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, "the initial KL coefficient must be positive");
        if (!(target > 0) || !double.IsFinite(target))
            throw new ArgumentOutOfRangeException(nameof(target), target, "the KL target must be positive");
        if (!(horizon > 0) || !double.IsFinite(horizon))
            throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "the horizon must be positive");
        Value = initialValue;
        Target = target;
        Horizon = horizon;
    }

    public double Value { get; private set; }
    public double Target { get; }
    public double Horizon { get; }

    public void Update(double currentKl, long samples)
    {
        if (!double.IsFinite(currentKl)) throw new ArgumentOutOfRangeException(nameof(currentKl), currentKl, "the measured KL must be finite");
        // samples <= horizon keeps the multiplier within [0.8, 1.2], so β stays positive.
        if (samples < 0 || samples > Horizon)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"must be between 0 and the horizon ({Horizon})");
        double error = Math.Clamp(currentKl / Target - 1.0, -ErrorClip, ErrorClip);
        Value *= 1.0 + error * samples / Horizon;
    }
}
