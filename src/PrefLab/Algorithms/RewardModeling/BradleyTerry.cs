using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>Batch statistics of a reward model on preference pairs (the RM metrics of DESIGN.md).</summary>
/// <param name="Accuracy">`accuracy`: mean over pairs of [r_c &gt; r_r], a tie counting 0.5.</param>
/// <param name="Margin">`margin`: mean of r_c - r_r.</param>
/// <param name="RewardChosen">`reward/chosen`: mean of r_c.</param>
/// <param name="RewardRejected">`reward/rejected`: mean of r_r.</param>
/// <param name="Ties">pairs with r_c == r_r exactly (reported so a degenerate RM is visible).</param>
/// <param name="Count">pairs in the batch (weights for averaging over micro-batches).</param>
public sealed record RewardPairMetrics(double Accuracy, double Margin, double RewardChosen, double RewardRejected, long Ties, long Count);

/// <summary>
/// The Bradley-Terry pairwise loss for reward models (Ouyang et al. 2022; Llama 2 and TRL's RewardTrainer add the
/// margin): loss = -log σ(r_c - r_r - margin). Computed with logsigmoid (= -softplus(-x)), exact for any
/// difference: the naive log(sigmoid(x)) gives log(0) = -inf, an infinite loss and NaN gradients, once σ(x)
/// underflows (x below about -104 in float32, -745 in float64).
/// </summary>
public static class BradleyTerry
{
    /// <summary>
    /// Per-pair loss -log σ(r_c - r_r - m). Chosen and rejected rewards are the scalar head's outputs at each
    /// sequence's last (EOS) token. <paramref name="margin"/> (optional) is the per-pair target gap m (Llama 2:
    /// a larger gap for more confident labels); it is treated as data, not differentiated.
    /// d loss / d r_c = -σ(-(r_c - r_r - m)) = σ(r_c - r_r - m) - 1; d loss / d r_r = 1 - σ(r_c - r_r - m).
    /// [batch], [batch], [batch]? -> [batch].
    /// </summary>
    public static Tensor Losses(Tensor chosenRewards, Tensor rejectedRewards, Tensor? margin = null)
    {
        Masks.RequireSameShape("chosen rewards", chosenRewards, "rejected rewards", rejectedRewards);
        Masks.RequireFloating("chosen rewards", chosenRewards);
        if (margin is not null) Masks.RequireSameShape("margin", margin, "chosen rewards", chosenRewards);
        using var scope = NewDisposeScope();
        var difference = chosenRewards - rejectedRewards;
        if (margin is not null) difference = difference - margin.detach().to_type(difference.dtype);
        return difference.log_sigmoid().neg().MoveToOuterDisposeScope();
    }

    /// <summary>Mean of <see cref="Losses"/> over the batch. [batch] -> 0-dim.</summary>
    public static Tensor Loss(Tensor chosenRewards, Tensor rejectedRewards, Tensor? margin = null)
    {
        using var scope = NewDisposeScope();
        return Losses(chosenRewards, rejectedRewards, margin).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Metrics of a batch of pairs. Ties (r_c == r_r) count 0.5 toward accuracy: the expected score of a coin flip,
    /// so a constant RM scores 0.5 rather than 0 (strict &gt;, RewardBench's rule) or 1 (TRL's argmax picks the chosen
    /// column on a tie). <see cref="RewardPairMetrics.Ties"/> reports how many there were. [batch], [batch].
    /// </summary>
    public static RewardPairMetrics Metrics(Tensor chosenRewards, Tensor rejectedRewards)
    {
        Masks.RequireSameShape("chosen rewards", chosenRewards, "rejected rewards", rejectedRewards);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = chosenRewards.detach().to_type(ScalarType.Float64);
        var r = rejectedRewards.detach().to_type(ScalarType.Float64);
        long count = c.numel();
        if (count == 0) return new RewardPairMetrics(0, 0, 0, 0, 0, 0);
        var wins = c.gt(r).to_type(ScalarType.Float64);
        var ties = c.eq(r).to_type(ScalarType.Float64);
        return new RewardPairMetrics(
            Accuracy: (wins + ties * 0.5).mean().item<double>(),
            Margin: (c - r).mean().item<double>(),
            RewardChosen: c.mean().item<double>(),
            RewardRejected: r.mean().item<double>(),
            Ties: (long)ties.sum().item<double>(),
            Count: count);
    }
}
