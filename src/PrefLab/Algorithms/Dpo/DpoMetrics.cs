using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo;

/// <summary>The DPO metrics of DESIGN.md for one batch (means over the pairs), with TRL's names in <see cref="Named"/>.</summary>
/// <param name="Loss">`loss`: mean per-pair loss.</param>
/// <param name="RewardsChosen">`rewards/chosen`: mean implicit reward of the chosen responses.</param>
/// <param name="RewardsRejected">`rewards/rejected`.</param>
/// <param name="RewardsAccuracies">`rewards/accuracies`: fraction of pairs with chosen reward STRICTLY greater (a tie is wrong, so it is exactly 0 at policy == reference).</param>
/// <param name="RewardsMargins">`rewards/margins`: mean of chosen minus rejected reward.</param>
/// <param name="LogpsChosen">`logps/chosen`: mean SUMMED policy log-prob of the chosen completions, whatever the loss (TRL reports averages for ipo).</param>
/// <param name="LogpsRejected">`logps/rejected`.</param>
/// <param name="Count">pairs in the batch (weights for averaging over micro-batches).</param>
public sealed record DpoBatchMetrics(
    double Loss, double RewardsChosen, double RewardsRejected, double RewardsAccuracies, double RewardsMargins,
    double LogpsChosen, double LogpsRejected, long Count)
{
    /// <summary>The metrics under their logged names.</summary>
    public IReadOnlyDictionary<string, double> Named() => new Dictionary<string, double>
    {
        ["loss"] = Loss,
        ["rewards/chosen"] = RewardsChosen,
        ["rewards/rejected"] = RewardsRejected,
        ["rewards/accuracies"] = RewardsAccuracies,
        ["rewards/margins"] = RewardsMargins,
        ["logps/chosen"] = LogpsChosen,
        ["logps/rejected"] = LogpsRejected,
    };

    /// <summary>
    /// Metrics of a batch from a loss output and the policy's summed sequence log-probs. [batch] each.
    /// </summary>
    public static DpoBatchMetrics Compute(DpoLossOutput output, Tensor policyChosenLogps, Tensor policyRejectedLogps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long count = output.Losses.numel();
        if (count == 0) return new DpoBatchMetrics(0, 0, 0, 0, 0, 0, 0, 0);
        var chosen = output.ChosenRewards.detach().to_type(ScalarType.Float64);
        var rejected = output.RejectedRewards.detach().to_type(ScalarType.Float64);
        return new DpoBatchMetrics(
            Loss: Mean(output.Losses),
            RewardsChosen: chosen.mean().item<double>(),
            RewardsRejected: rejected.mean().item<double>(),
            RewardsAccuracies: chosen.gt(rejected).to_type(ScalarType.Float64).mean().item<double>(),
            RewardsMargins: (chosen - rejected).mean().item<double>(),
            LogpsChosen: Mean(policyChosenLogps),
            LogpsRejected: Mean(policyRejectedLogps),
            Count: count);
    }

    static double Mean(Tensor t) => t.detach().to_type(ScalarType.Float64).mean().item<double>();
}
