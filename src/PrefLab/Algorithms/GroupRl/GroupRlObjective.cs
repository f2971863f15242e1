using System.Text.Json.Nodes;
using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Training.Optimization;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>
/// RLOO and GRPO on the shared loop: k samples per prompt (adjacent rows), the sequence reward (the score, or the
/// missing-EOS penalty), advantages from the group (<see cref="Rloo"/>: leave-one-out, on the reward minus
/// β Σ_t kl_t; <see cref="Grpo"/>: group-normalised, zero-variance groups zeroed and counted), then the clipped
/// objective against the old log-probs stored from the rollout: GRPO's per-token <see cref="GroupPolicyLoss"/> with its
/// β·k3 term to the frozen reference, RLOO's sequence-level <see cref="RlooPolicyLoss"/> (one ratio per completion, no
/// KL term: its KL is in the reward). For RLOO, policy/clipfrac and policy/approxkl are over sequences
/// (0.5 · mean of the squared sequence log-ratio, as TRL's RLOOTrainer), for GRPO over tokens.
/// Metrics: objective/kl is Σ_t kl_t with the algorithm's estimator (k1 for RLOO, k3 for GRPO) and
/// objective/non_score_reward is -β times it, so objective/rlhf_reward is the regularised objective either way.
/// </summary>
public sealed class GroupRlObjective : OnlineObjective
{
    readonly GroupRlJobOptions options;

    public GroupRlObjective(OnlineRlSession session, GroupRlJobOptions options) : base(session, options) => this.options = options;

    public override string Command => options.Algorithm == GroupRlAlgorithm.Rloo ? "rloo" : "grpo";
    public override int SamplesPerPrompt => options.NumGenerations;
    public override bool RunsDataParallel => true;
    bool IsGrpo => options.Algorithm == GroupRlAlgorithm.Grpo;

    public override UpdateOutcome Train(Rollout rollout, long step, MinibatchPlan firstPass)
    {
        double lr = PolicySchedule.At(step);
        OptimizerFactory.SetLearningRate(PolicyOptimizer, lr);
        var batch = rollout.Batch;
        var mask = batch.ResponseMask;                                                          // [B, R] bool
        double beta = options.EffectiveBeta;
        var ended = options.MissingEosPenalty is null ? ones_like(batch.HasEos) : batch.HasEos;
        var shaped = RewardShaping.Shape(rollout.Scores, rollout.OldLogProbs, rollout.RefLogProbs, mask, ended, beta,
            options.EffectiveKlEstimator, options.MissingEosPenalty ?? 0.0);
        var rolloutMetrics = RolloutMetrics.Compute(shaped, rollout.OldLogProbs, mask, batch.HasEos);
        var rewards = IsGrpo ? shaped.Scores : Rloo.KlPenalizedRewards(shaped.Scores, shaped.Kl, mask, beta);     // [B]
        var group = IsGrpo
            ? Grpo.Advantages(rewards, options.NumGenerations, scaleByStd: options.ScaleRewards)
            : Rloo.Advantages(rewards, options.NumGenerations);

        var sums = new MetricSums();
        for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
        {
            var plan = Plan(step, epoch, rollout.Rows, firstPass);
            for (int m = 0; m < plan.Minibatches.Count; m++)
                sums.Add(Minibatch(rollout, group.Advantages, plan.Minibatches[m], step, epoch, m));
        }

        var metrics = new Dictionary<string, double>(rolloutMetrics.Named());
        metrics["objective/kl_coef"] = beta;
        metrics["groups/zero_variance"] = group.ZeroVarianceGroups;
        metrics["frac_reward_zero_std"] = (double)group.ZeroVarianceGroups / Math.Max(group.Groups, 1);
        metrics["policy/clipfrac"] = sums.Mean("policy/clipfrac");
        metrics["policy/approxkl"] = sums.Mean("policy/approxkl");
        metrics["loss/policy"] = sums.Mean("loss/policy");
        if (IsGrpo) metrics["policy/ref_kl"] = sums.Mean("policy/ref_kl");
        metrics["lr"] = lr;
        metrics["grad_norm"] = sums.Mean("grad_norm");

        var sequenceKl = ToDoubles(Masked.Sum(shaped.Kl, mask, -1));
        var used = ToDoubles(rewards);
        var scores = ToDoubles(rollout.Scores);
        var samples = Enumerable.Range(0, rollout.Rows).Select(i => new SampleRecord(scores[i], used[i], sequenceKl[i])).ToList();
        return new UpdateOutcome(metrics, samples);
    }

    Dictionary<string, double> Minibatch(Rollout rollout, Tensor advantages, IReadOnlyList<int[]> microBatches, long step, int epoch, int index)
    {
        OptimizerFactory.ClearGradients(PolicyParameters);
        var mask = rollout.Batch.ResponseMask;
        int minibatchRows = microBatches.Sum(m => m.Length);
        double minibatchTokens = microBatches.Sum(micro => Tokens(mask, micro));
        double loss = 0, clipFraction = 0, approxKl = 0, refKl = 0, maxDeviation = 0;
        foreach (var micro in RolloutShards.Mine(microBatches))
        {
            using var scope = NewDisposeScope();
            var slice = rollout.Slice(micro);
            double tokenShare = Tokens(mask, micro) / Math.Max(minibatchTokens, 1);
            double rowShare = (double)micro.Length / minibatchRows;
            // A mean over sequences (RLOO; GRPO per-sequence) weighs a micro-batch by its share of the rows.
            double weight = !IsGrpo || options.LossNormalization == GroupLossNormalization.PerSequence ? rowShare : tokenShare;
            var newLogProbs = PolicyForward.ResponseLogProbs(Session.Policy, slice.InputIds, slice.AttentionMask, slice.ResponseIds,
                slice.ResponseMask, options.Temperature, options.LogitsChunk);
            var result = IsGrpo
                ? GroupPolicyLoss.Compute(newLogProbs, slice.Of(rollout.OldLogProbs), slice.Of(rollout.RefLogProbs),
                    slice.Of(advantages), slice.ResponseMask, options.EffectiveBeta, options.ClipRange, options.LossNormalization)
                : RlooPolicyLoss.Compute(newLogProbs, slice.Of(rollout.OldLogProbs), slice.Of(advantages), slice.ResponseMask, options.ClipRange);
            result.Loss.mul(weight).backward();
            loss += result.Loss.to_type(ScalarType.Float64).item<double>() * weight;
            var logRatio = result.Ratio.log();
            if (IsGrpo)
            {
                clipFraction += result.ClipFraction * tokenShare;
                refKl += result.Kl * tokenShare;
                approxKl += PpoLosses.ApproxKl(logRatio, slice.ResponseMask) * tokenShare;
            }
            else
            {
                clipFraction += result.ClipFraction * rowShare;
                approxKl += PpoLosses.ApproxKl(logRatio) * rowShare;   // [rows] sequence log-ratios
            }
            maxDeviation = Math.Max(maxDeviation, MaxRatioDeviation(result.Ratio));
        }
        if (Runtime.Distributed.ProcessGroup.Current.IsDistributed)
        {
            var total = RolloutShards.Sum([loss, clipFraction, approxKl, refKl]);
            (loss, clipFraction, approxKl, refKl) = (total[0], total[1], total[2], total[3]);
            maxDeviation = RolloutShards.Max(maxDeviation);
        }
        RequireFinite(loss, "the policy loss", step);
        double gradNorm = ClipAndStep(PolicyOptimizer, PolicyParameters, "policy", step);
        OptimizerFactory.ClearGradients(PolicyParameters);
        options.OnMinibatch?.Invoke(new MinibatchReport(step + 1, epoch, index, minibatchRows, clipFraction, approxKl, maxDeviation, null));
        return new Dictionary<string, double>
        {
            ["loss/policy"] = loss,
            ["policy/clipfrac"] = clipFraction,
            ["policy/approxkl"] = approxKl,
            ["policy/ref_kl"] = refKl,
            ["grad_norm"] = gradNorm,
        };
    }

    public override JsonObject Describe() => new()
    {
        ["name"] = Command,
        ["num_generations"] = options.NumGenerations,
        ["beta"] = options.EffectiveBeta,
        ["kl"] = IsGrpo ? "k3 loss term to the reference" : $"{KlEstimators.Name(options.EffectiveKlEstimator)} penalty folded into the sequence reward",
        ["advantages"] = IsGrpo ? (options.ScaleRewards ? "group-normalised (r - mean) / (std + 1e-4)" : "group-centred r - mean") : "leave-one-out baseline",
        ["loss"] = IsGrpo
            ? $"per-token clipped surrogate, {(options.LossNormalization == GroupLossNormalization.PerSequence ? "per-sequence" : "token")} mean"
            : "sequence-level clipped surrogate: one ratio exp(Σ_t log π - Σ_t log π_old) per completion, mean over completions",
        ["missing_eos_penalty"] = options.MissingEosPenalty,
        ["cliprange"] = options.ClipRange,
        ["temperature"] = options.Temperature,
        ["lr"] = options.Training.Lr,
    };
}
