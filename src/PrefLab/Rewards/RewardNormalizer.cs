using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Rewards;

/// <summary>
/// An affine reward normalisation r' = (r - Mean) / Std, fitted so that a set of samples (the SFT policy's
/// responses, as in Ziegler et al. 2019 / openai/lm-human-preferences) has mean 0 and standard deviation 1.
/// Std is the population standard deviation (divide by n, as lm-human-preferences' <c>tf.nn.moments</c>), so the
/// fitted samples come out with population std exactly 1. Stored with the RM (two numbers) and applied by PPO and
/// best-of-N; <see cref="Identity"/> leaves rewards unchanged.
/// </summary>
public sealed record RewardNormalizer
{
    public RewardNormalizer(double mean, double std)
    {
        if (!double.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "the reward mean must be finite");
        if (!(std > 0) || !double.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "the reward standard deviation must be positive and finite");
        Mean = mean;
        Std = std;
    }

    /// <summary>Subtracted from every reward.</summary>
    public double Mean { get; }

    /// <summary>Divides every reward after the shift; always positive.</summary>
    public double Std { get; }

    /// <summary>No normalisation (mean 0, std 1).</summary>
    public static RewardNormalizer Identity { get; } = new(0.0, 1.0);

    /// <summary>
    /// Fits mean and population std of the samples. Needs at least two samples with some spread: a constant RM
    /// cannot be scaled to std 1, which is a <see cref="UserError"/> (the reward model is degenerate on these
    /// samples). [n] (any shape; all elements are samples).
    /// </summary>
    public static RewardNormalizer Fit(Tensor samples)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = samples.detach().to_type(ScalarType.Float64).flatten();
        if (values.numel() < 2)
            throw new UserError($"reward normalisation needs at least 2 samples, got {values.numel()}");
        if (!isfinite(values).all().item<bool>())
            throw new UserError("reward normalisation samples contain NaN or infinity");
        double mean = values.mean().item<double>();
        double std = values.std(unbiased: false).item<double>();
        if (!(std > 0))
            throw new UserError($"reward normalisation: all {values.numel()} sample rewards are equal ({mean}), so they cannot be scaled to standard deviation 1");
        return new RewardNormalizer(mean, std);
    }

    /// <summary>(r - Mean) / Std, elementwise, in r's dtype. Differentiable. [any] -> [same shape].</summary>
    public Tensor Apply(Tensor rewards)
    {
        using var scope = NewDisposeScope();
        return rewards.sub(Mean).div(Std).MoveToOuterDisposeScope();
    }

    /// <summary>(r - Mean) / Std for one number.</summary>
    public double Apply(double reward) => (reward - Mean) / Std;
}
