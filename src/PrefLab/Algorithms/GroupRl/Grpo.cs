using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>
/// GRPO's group-normalised advantages (Shao et al. 2024, DeepSeekMath §4.1.2, outcome supervision):
/// A_i = (r_i - mean_group) / (std_group + ε), the same A_i for every token of sample i. std is the unbiased sample
/// standard deviation (torch.std's default, as TRL) and ε = 1e-4 (TRL's). A group whose rewards are all equal gets
/// exactly 0 (not (r - mean)/ε, which rounding can make nonzero) and is counted: it carries no signal, and a high
/// count says the prompts are too easy or too hard for the policy. Layout: see <see cref="GroupAdvantages"/>.
/// The loss is <see cref="GroupPolicyLoss"/> with β &gt; 0.
/// </summary>
public static class Grpo
{
    public const double DefaultEpsilon = 1e-4;
    /// <summary>The KL coefficient of the GRPO paper (and TRL's former default).</summary>
    public const double DefaultBeta = 0.04;

    /// <summary>
    /// Group-normalised advantages. With <paramref name="scaleByStd"/> false only the mean is subtracted (Dr. GRPO,
    /// Liu et al. 2025). [prompts * k] -> <see cref="GroupAdvantages"/>. Needs k ≥ 2.
    /// </summary>
    public static GroupAdvantages Advantages(Tensor rewards, int groupSize, double epsilon = DefaultEpsilon, bool scaleByStd = true)
    {
        if (!(epsilon > 0) || !double.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive");
        using var scope = NewDisposeScope();
        var grouped = Groups.View(rewards, groupSize, minimumGroupSize: 2);               // [prompts, k]
        var centered = grouped - grouped.mean(new long[] { 1 }, keepdim: true);
        var advantages = scaleByStd ? centered / (grouped.std(1, unbiased: true, keepdim: true) + epsilon) : centered;
        return Groups.Finish(advantages, Groups.ZeroVariance(grouped), rewards);
    }
}
