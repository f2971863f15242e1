using static TorchSharp.torch;

namespace PrefLab.Algorithms.Kto;

/// <summary>
/// The KTO metrics of one batch as (sum, weight) pairs, averaged over a step (or held-out set) the way TRL's
/// <c>KTOTrainer.log</c> does: <c>rewards/chosen</c> and <c>logps/chosen</c> are means over the desirable examples,
/// <c>rewards/rejected</c> and <c>logps/rejected</c> over the undesirable ones (absent when there are none),
/// <c>rewards/margins</c> = chosen − rejected when both exist, and <c>kl</c> the mean over micro-batches of z0.
/// Log-probs are the policy's SUMMED completion log-probs.
/// </summary>
public static class KtoMetrics
{
    public const string RewardsChosen = "rewards/chosen";
    public const string RewardsRejected = "rewards/rejected";
    public const string RewardsMargins = "rewards/margins";
    public const string LogpsChosen = "logps/chosen";
    public const string LogpsRejected = "logps/rejected";
    public const string Kl = "kl";
    public const string Loss = "loss";

    /// <summary>The metric sums of one batch (without the loss, which the loop sums itself).</summary>
    public static Dictionary<string, (double Sum, double Weight)> Sums(KtoLossOutput output, Tensor policyLogps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var desirable = output.Desirable;
        var undesirable = desirable.logical_not();
        var rewards = output.Rewards.detach().to_type(ScalarType.Float64);
        var logps = policyLogps.detach().to_type(ScalarType.Float64);
        double chosenCount = desirable.sum().item<long>(), rejectedCount = undesirable.sum().item<long>();
        double SumWhere(Tensor values, Tensor mask) => values.masked_select(mask).sum().item<double>();
        return new Dictionary<string, (double, double)>
        {
            [RewardsChosen] = (SumWhere(rewards, desirable), chosenCount),
            [RewardsRejected] = (SumWhere(rewards, undesirable), rejectedCount),
            [LogpsChosen] = (SumWhere(logps, desirable), chosenCount),
            [LogpsRejected] = (SumWhere(logps, undesirable), rejectedCount),
            [Kl] = (output.Kl.to_type(ScalarType.Float64).item<double>(), 1),
        };
    }

    /// <summary>Adds <paramref name="sums"/> into <paramref name="into"/>.</summary>
    public static void Accumulate(Dictionary<string, (double Sum, double Weight)> into, IReadOnlyDictionary<string, (double Sum, double Weight)> sums)
    {
        foreach (var (name, (sum, weight)) in sums)
            into[name] = into.TryGetValue(name, out var acc) ? (acc.Sum + sum, acc.Weight + weight) : (sum, weight);
    }

    /// <summary>The logged values: each sum over its weight; a metric of a label with no examples is left out;
    /// <c>rewards/margins</c> when both labels are present. Names get <paramref name="prefix"/> (e.g. "eval/").</summary>
    public static Dictionary<string, double> Means(IReadOnlyDictionary<string, (double Sum, double Weight)> sums, string prefix = "")
    {
        var metrics = new Dictionary<string, double>();
        foreach (var (name, (sum, weight)) in sums)
            if (weight > 0) metrics[prefix + name] = sum / weight;
        if (metrics.TryGetValue(prefix + RewardsChosen, out double chosen) && metrics.TryGetValue(prefix + RewardsRejected, out double rejected))
            metrics[prefix + RewardsMargins] = chosen - rejected;
        return metrics;
    }
}
