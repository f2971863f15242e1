using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Kl;

/// <summary>Schulman's per-token estimators of KL(π ‖ π_ref) (http://joschu.net/blog/kl-approx.html).</summary>
public enum KlEstimatorKind
{
    /// <summary>k1 = log π - log π_ref: unbiased, can be negative per token.</summary>
    K1,
    /// <summary>k2 = ½ (log π - log π_ref)²: non-negative, biased, low variance.</summary>
    K2,
    /// <summary>k3 = (r - 1) - log r with r = π_ref / π: non-negative and unbiased.</summary>
    K3,
}

/// <summary>
/// Per-token KL estimators. Sign convention: the tokens y_t were sampled from the policy π (the first argument), and
/// every estimator estimates KL(π ‖ π_ref) = E_{y~π}[log π(y) - log π_ref(y)], so k1 is positive where the policy
/// gives its own sample more probability than the reference does. All are elementwise: [any] -> [same shape],
/// differentiable, in the inputs' dtype.
/// </summary>
public static class KlEstimators
{
    /// <summary>The option value names: k1, k2, k3.</summary>
    public static string Name(KlEstimatorKind kind) => kind switch
    {
        KlEstimatorKind.K1 => "k1",
        KlEstimatorKind.K2 => "k2",
        KlEstimatorKind.K3 => "k3",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses "k1", "k2" or "k3"; anything else is a <see cref="UserError"/> naming the option.</summary>
    public static KlEstimatorKind Parse(string value, string option = "kl-estimator") => value.Trim().ToLowerInvariant() switch
    {
        "k1" => KlEstimatorKind.K1,
        "k2" => KlEstimatorKind.K2,
        "k3" => KlEstimatorKind.K3,
        _ => throw UserError.InOption(option, $"'{value}' is not a KL estimator; use k1, k2 or k3"),
    };

    /// <summary>k1 = log π(y) - log π_ref(y). [any] -> [same shape].</summary>
    public static Tensor K1(Tensor logProbs, Tensor refLogProbs)
    {
        Masks.RequireSameShape("log-probs", logProbs, "reference log-probs", refLogProbs);
        return logProbs - refLogProbs;
    }

    /// <summary>k2 = ½ (log π(y) - log π_ref(y))². [any] -> [same shape].</summary>
    public static Tensor K2(Tensor logProbs, Tensor refLogProbs)
    {
        Masks.RequireSameShape("log-probs", logProbs, "reference log-probs", refLogProbs);
        using var scope = NewDisposeScope();
        return (logProbs - refLogProbs).Squared().mul(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// k3 = (r - 1) - log r with r = π_ref(y) / π(y) = exp(log π_ref - log π) (the GRPO paper's KL term; TRL's
    /// <c>exp(ref - logp) - (ref - logp) - 1</c>). Computed as expm1(d) - d with d = log π_ref - log π, which keeps
    /// precision for small d where exp(d) - 1 cancels; clamped at 0 so rounding can never make it negative.
    /// Pitfall: for |d| beyond ~88 (float32) exp overflows; OpenRLHF and TRL do not guard this either, and such
    /// differences mean the policy has left the reference's support. [any] -> [same shape].
    /// </summary>
    public static Tensor K3(Tensor logProbs, Tensor refLogProbs)
    {
        Masks.RequireSameShape("log-probs", logProbs, "reference log-probs", refLogProbs);
        using var scope = NewDisposeScope();
        var d = refLogProbs - logProbs;
        return (d.expm1() - d).clamp_min(0.0).MoveToOuterDisposeScope();
    }

    /// <summary>The estimator named by <paramref name="kind"/>. [any] -> [same shape].</summary>
    public static Tensor Compute(KlEstimatorKind kind, Tensor logProbs, Tensor refLogProbs) => kind switch
    {
        KlEstimatorKind.K1 => K1(logProbs, refLogProbs),
        KlEstimatorKind.K2 => K2(logProbs, refLogProbs),
        KlEstimatorKind.K3 => K3(logProbs, refLogProbs),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
