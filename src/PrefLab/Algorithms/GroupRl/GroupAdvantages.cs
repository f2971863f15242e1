using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>
/// Sequence-level advantages for k samples per prompt.
///
/// Layout (both RLOO and GRPO here): a flat [prompts * k] tensor in which each prompt's k samples are consecutive,
/// sample j of prompt p at index p * k + j (TRL's GRPO layout: prompts repeated with repeat_interleave). TRL's older
/// RLOOTrainer used the transposed layout [k, prompts] (whole-batch copies); a trainer must not mix them.
/// </summary>
/// <param name="Advantages">[prompts * k], same dtype as the rewards; exactly 0 in every zero-variance group.</param>
/// <param name="ZeroVarianceGroups">groups whose k rewards are all equal: they carry no learning signal.</param>
/// <param name="Groups">number of groups (prompts).</param>
public sealed record GroupAdvantages(Tensor Advantages, int ZeroVarianceGroups, int Groups);

/// <summary>Grouping helpers shared by <see cref="Rloo"/> and <see cref="Grpo"/>.</summary>
static class Groups
{
    // [prompts * k] -> [prompts, k] view, after checking the layout.
    public static Tensor View(Tensor rewards, int groupSize, int minimumGroupSize)
    {
        Masks.RequireDim("rewards", rewards, 1);
        Masks.RequireFloating("rewards", rewards);
        if (groupSize < minimumGroupSize)
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, $"needs at least {minimumGroupSize} samples per prompt");
        if (rewards.shape[0] % groupSize != 0)
            throw new ArgumentException($"{rewards.shape[0]} rewards do not split into groups of {groupSize} (layout [prompts * k]).");
        return rewards.reshape(-1, groupSize);
    }

    // [prompts, 1] bool: every reward of the group is exactly equal. Checked directly, because r - mean is not
    // exactly 0 for equal rewards in floating point (3 × 0.1 summed and divided by 3 is 0.10000000000000002).
    public static Tensor ZeroVariance(Tensor grouped) =>
        grouped.amax(new long[] { 1 }, keepdim: true).eq(grouped.amin(new long[] { 1 }, keepdim: true));

    public static GroupAdvantages Finish(Tensor advantages, Tensor zeroVariance, Tensor rewards)
    {
        var zeroed = advantages.masked_fill(zeroVariance, 0.0).reshape(rewards.shape);
        int count = (int)zeroVariance.sum().item<long>();
        int groups = (int)zeroVariance.shape[0];
        return new GroupAdvantages(zeroed.MoveToOuterDisposeScope(), count, groups);
    }
}
