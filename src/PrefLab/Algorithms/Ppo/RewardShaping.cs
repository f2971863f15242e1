using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Kl;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>Which response tokens count and whether the response ended with EOS.</summary>
/// <param name="Mask">[batch, resp] bool: tokens up to and including the first EOS; all tokens when there is none.</param>
/// <param name="HasEos">[batch] bool: the response contains an EOS.</param>
public sealed record ResponseEnd(Tensor Mask, Tensor HasEos);

/// <summary>Per-token PPO rewards and their parts. Masked positions are 0 in every [batch, resp] tensor.</summary>
/// <param name="Rewards">[batch, resp]: r_t = -β kl_t, plus the (penalised) score at the last response token.</param>
/// <param name="NonScoreRewards">[batch, resp]: -β kl_t alone (TRL's `non_score_reward`).</param>
/// <param name="Kl">[batch, resp]: the per-token KL estimate kl_t.</param>
/// <param name="Scores">[batch]: the score actually added: the RM score, or the penalty where EOS is missing.</param>
/// <param name="LastIndex">[batch] int64: where the score was added (the EOS index when there is one).</param>
public sealed record ShapedRewards(Tensor Rewards, Tensor NonScoreRewards, Tensor Kl, Tensor Scores, Tensor LastIndex);

/// <summary>
/// PPO reward shaping (Ziegler et al. 2019; Ouyang et al. 2022; the paper's recipe in DESIGN.md):
/// r_t = -β · kl_t for every response token, plus the sequence score at the last response token, where the score
/// is the RM's output at the EOS, or a fixed penalty (default -10) when the response has no EOS (truncated at the
/// length limit). kl_t = log π_old(y_t) - log π_ref(y_t) by default (k1), or k3.
///
/// Layout: responses are right-padded after EOS, [batch, resp]; the response mask covers tokens up to and including
/// EOS. Pitfall avoided: TRL's PPOTrainer adds the score at `sequence_lengths + 1` (one past the EOS) whenever that
/// index is in range; OpenRLHF puts it on the last action token (flip-and-argmax), as we do.
/// </summary>
public static class RewardShaping
{
    /// <summary>The paper's penalty for a response without EOS.</summary>
    public const double DefaultMissingEosPenalty = -10.0;

    /// <summary>
    /// Finds each response's end: the mask covers tokens up to and including the first token equal to any of
    /// <paramref name="eosTokenIds"/>; everything after is padding, whatever its id (so a pad id equal to the EOS id
    /// is handled). A row with no EOS is all valid and <see cref="ResponseEnd.HasEos"/> is false there.
    /// [batch, resp] int64 -> [batch, resp] bool, [batch] bool.
    /// </summary>
    public static ResponseEnd FindEnd(Tensor responseIds, params long[] eosTokenIds)
    {
        Masks.RequireDim("response ids", responseIds, 2);
        if (eosTokenIds.Length == 0) throw new ArgumentException("at least one EOS token id is needed", nameof(eosTokenIds));
        using var scope = NewDisposeScope();
        var isEos = responseIds.eq(eosTokenIds[0]);
        foreach (long id in eosTokenIds.Skip(1)) isEos = isEos.logical_or(responseIds.eq(id));
        // Number of EOS strictly before each position: 0 means the token is at or before the first EOS.
        var eosBefore = isEos.to_type(ScalarType.Int64).cumsum(1) - isEos.to_type(ScalarType.Int64);
        var mask = eosBefore.eq(0);
        var hasEos = isEos.any(1);
        return new ResponseEnd(mask.MoveToOuterDisposeScope(), hasEos.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Shapes the rewards of a rollout.
    /// </summary>
    /// <param name="scores">[batch] the RM (or gold) score of each prompt+response, read at the EOS.</param>
    /// <param name="logProbs">[batch, resp] log π_old(y_t) of the sampled tokens (the rollout policy, at the sampling temperature).</param>
    /// <param name="refLogProbs">[batch, resp] log π_ref(y_t), at the same temperature.</param>
    /// <param name="responseMask">[batch, resp] tokens up to and including EOS; every row must select at least one token.</param>
    /// <param name="hasEos">[batch] bool (or 0/1): the response ended with EOS; where false the score is replaced by the penalty.</param>
    /// <param name="klCoefficient">β ≥ 0 (the paper: 0.05).</param>
    /// <param name="estimator">k1 (default, the paper's) or k3 (or k2).</param>
    /// <param name="missingEosPenalty">the score given to a response without EOS (default -10).</param>
    public static ShapedRewards Shape(Tensor scores, Tensor logProbs, Tensor refLogProbs, Tensor responseMask, Tensor hasEos,
        double klCoefficient, KlEstimatorKind estimator = KlEstimatorKind.K1, double missingEosPenalty = DefaultMissingEosPenalty)
    {
        Masks.RequireDim("log-probs", logProbs, 2);
        Masks.RequireFloating("log-probs", logProbs);
        Masks.RequireSameShape("log-probs", logProbs, "reference log-probs", refLogProbs);
        Masks.RequireSameShape("log-probs", logProbs, "response mask", responseMask);
        Masks.RequireDim("scores", scores, 1);
        if (scores.shape[0] != logProbs.shape[0] || hasEos.shape.Length != 1 || hasEos.shape[0] != logProbs.shape[0])
            throw new ArgumentException("scores and hasEos must be [batch] for log-probs [batch, resp].");
        if (!(klCoefficient >= 0) || !double.IsFinite(klCoefficient))
            throw new ArgumentOutOfRangeException(nameof(klCoefficient), klCoefficient, "the KL coefficient must be a finite number >= 0");
        if (!double.IsFinite(missingEosPenalty))
            throw new ArgumentOutOfRangeException(nameof(missingEosPenalty), missingEosPenalty, "the missing-EOS penalty must be finite");

        using var scope = NewDisposeScope();
        var dtype = logProbs.dtype;
        // Zero the inputs at masked positions first, so garbage there (TRL fills padding log-probs with 1.0) can
        // reach neither the KL nor a gradient.
        var policy = Masks.Fill(logProbs, responseMask);
        var reference = Masks.Fill(refLogProbs, responseMask);
        var kl = Masks.Fill(KlEstimators.Compute(estimator, policy, reference), responseMask);
        var nonScore = kl.mul(-klCoefficient);

        var lastIndex = Sequences.LastIndex(responseMask);                                    // [batch]
        var penalised = where(Masks.AsBool(hasEos), scores.to_type(dtype), full_like(scores, missingEosPenalty, dtype)); // [batch]
        var positions = arange(logProbs.shape[1], dtype: ScalarType.Int64, device: logProbs.device).unsqueeze(0); // [1, resp]
        var atLast = positions.eq(lastIndex.unsqueeze(1));                                      // [batch, resp]
        var rewards = nonScore + where(atLast, penalised.unsqueeze(1), zeros_like(nonScore));

        return new ShapedRewards(
            rewards.MoveToOuterDisposeScope(),
            nonScore.MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            penalised.MoveToOuterDisposeScope(),
            lastIndex.MoveToOuterDisposeScope());
    }
}
