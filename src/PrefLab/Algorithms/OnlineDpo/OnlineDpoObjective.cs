using System.Text.Json.Nodes;
using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Runtime;
using PrefLab.Training.Optimization;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineDpo;

/// <summary>
/// Online DPO on the shared loop: each update samples k responses per prompt from the current policy, the judge
/// (reward model or gold) scores them, <see cref="OnlinePairs.BestVsWorst"/> makes one pair per prompt, and the
/// passes of minibatches take DPO steps (<see cref="DpoLosses.Dpo"/>) against the frozen reference. Log-probs are
/// summed over the response tokens (EOS included) at the sampling temperature, for the policy and the reference
/// alike (TRL's OnlineDPOTrainer divides the logits by the temperature too); the reference's come from the rollout.
/// Metrics: the rollout's objective/* (objective/kl is Σ_t k1 to the reference; non_score_reward is -β times it),
/// TRL's objective/scores_margin (mean chosen minus rejected score), the DPO batch metrics (rewards/*, logps/*),
/// val/contain_eos_token, and pairs/ties and pairs/flipped.
/// </summary>
public sealed class OnlineDpoObjective : OnlineObjective
{
    readonly OnlineDpoJobOptions options;

    public OnlineDpoObjective(OnlineRlSession session, OnlineDpoJobOptions options) : base(session, options) => this.options = options;

    public override string Command => "online-dpo";
    public override int SamplesPerPrompt => options.NumGenerations;
    public override bool RunsDataParallel => true;

    public override UpdateOutcome Train(Rollout rollout, long step, MinibatchPlan firstPass)
    {
        double lr = PolicySchedule.At(step);
        OptimizerFactory.SetLearningRate(PolicyOptimizer, lr);
        var batch = rollout.Batch;
        var mask = batch.ResponseMask;                                                          // [B, R] bool
        var shaped = RewardShaping.Shape(rollout.Scores, rollout.OldLogProbs, rollout.RefLogProbs, mask,
            options.MissingEosPenalty is null ? ones_like(batch.HasEos) : batch.HasEos, options.Beta, KlEstimatorKind.K1,
            options.MissingEosPenalty ?? 0.0);
        var rolloutMetrics = RolloutMetrics.Compute(shaped, rollout.OldLogProbs, mask, batch.HasEos);

        var scores = ToDoubles(rollout.Scores);
        var hasEos = ToDoubles(batch.HasEos.to_type(ScalarType.Float64)).Select(e => e > 0.5).ToArray();
        var pairing = OnlinePairs.BestVsWorst(scores, hasEos, options.NumGenerations, options.MissingEosPenalty, options.LabelNoise,
            Seeding.Stream(options.Training.Seed, $"online-dpo/labels/{step}"));
        var referenceSums = Sequences.LogProb(rollout.RefLogProbs, mask);                       // [B]

        var sums = new MetricSums();
        var dpoSums = new Dictionary<string, double>();
        double pairWeight = 0;
        if (pairing.Pairs.Count > 0)
        {
            for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
            {
                foreach (var minibatch in PairMinibatches(step, epoch, pairing.Pairs.Count))
                {
                    var (numbers, dpo) = Minibatch(rollout, pairing.Pairs, minibatch, referenceSums, step);
                    sums.Add(numbers);
                    // The DPO metrics are over the first pass (before later passes move the policy further).
                    if (epoch == 0)
                    {
                        foreach (var (name, value) in dpo.Named()) dpoSums[name] = dpoSums.GetValueOrDefault(name) + value * dpo.Count;
                        pairWeight += dpo.Count;
                    }
                }
            }
        }

        var metrics = new Dictionary<string, double>(rolloutMetrics.Named());
        metrics["objective/kl_coef"] = options.Beta;
        metrics["beta"] = options.Beta;
        metrics["objective/scores_margin"] = pairing.Pairs.Count == 0 ? 0 : pairing.Pairs.Average(p => p.ChosenScore - p.RejectedScore);
        metrics["val/contain_eos_token"] = hasEos.Average(e => e ? 1.0 : 0.0);
        metrics["pairs"] = pairing.Pairs.Count;
        metrics["pairs/ties"] = pairing.Ties;
        metrics["pairs/flipped"] = pairing.Flipped;
        foreach (var (name, total) in dpoSums) metrics[name == "loss" ? "loss/policy" : name] = total / Math.Max(pairWeight, 1);
        if (!metrics.ContainsKey("loss/policy")) metrics["loss/policy"] = 0;
        metrics["lr"] = lr;
        metrics["grad_norm"] = pairing.Pairs.Count == 0 ? 0 : sums.Mean("grad_norm");

        var sequenceKl = ToDoubles(Masked.Sum(shaped.Kl, mask, -1));
        var used = ToDoubles(shaped.Scores);
        var samples = Enumerable.Range(0, rollout.Rows).Select(i => new SampleRecord(scores[i], used[i], sequenceKl[i])).ToList();
        return new UpdateOutcome(metrics, samples);
    }

    /// <summary>Each pass's minibatches of pair indices: the pairs shuffled (seeded by run seed, update and pass),
    /// cut into --num-minibatches parts as equal as the count allows (empty parts are skipped).</summary>
    IEnumerable<int[]> PairMinibatches(long step, int epoch, int pairs)
    {
        var order = Enumerable.Range(0, pairs).ToArray();
        var random = Seeding.Stream(options.Training.Seed, $"online-dpo/minibatches/{step}/{epoch}");
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int parts = Math.Min(options.NumMinibatches, pairs);
        for (int m = 0; m < parts; m++)
        {
            int start = m * pairs / parts, end = (m + 1) * pairs / parts;
            yield return order[start..end];
        }
    }

    (Dictionary<string, double> Numbers, DpoBatchMetrics Dpo) Minibatch(Rollout rollout, IReadOnlyList<OnlinePair> pairs, int[] minibatch,
        Tensor referenceSums, long step)
    {
        OptimizerFactory.ClearGradients(PolicyParameters);
        // A micro-batch forwards its pairs' chosen and rejected rows together: at most --batch-size rows.
        int pairsPerMicro = Math.Max(1, options.ForwardBatchSize / 2);
        var parts = new List<DpoBatchMetrics>();
        double loss = 0;
        // Under mpirun every rank holds the whole rollout and the same pairs; it computes every N-th micro-batch.
        foreach (var micro in RolloutShards.Mine(minibatch.Chunk(pairsPerMicro).ToList()))
        {
            using var scope = NewDisposeScope();
            int[] rows = [.. micro.Select(p => pairs[p].Chosen), .. micro.Select(p => pairs[p].Rejected)];
            var slice = rollout.Slice(rows);
            var tokenLogProbs = PolicyForward.ResponseLogProbs(Session.Policy, slice.InputIds, slice.AttentionMask, slice.ResponseIds,
                slice.ResponseMask, options.Temperature, options.LogitsChunk);                  // [2m, R]
            var policySums = Sequences.LogProb(tokenLogProbs, slice.ResponseMask);               // [2m]
            var referenceRows = slice.Of(referenceSums);                                         // [2m]
            long m = micro.Length;
            var output = DpoLosses.Dpo(policySums.narrow(0, 0, m), policySums.narrow(0, m, m),
                referenceRows.narrow(0, 0, m), referenceRows.narrow(0, m, m), options.Beta);
            double weight = (double)m / minibatch.Length;
            output.Losses.mean().mul(weight).backward();
            var metrics = DpoBatchMetrics.Compute(output, policySums.narrow(0, 0, m), policySums.narrow(0, m, m));
            loss += metrics.Loss * weight;
            parts.Add(metrics);
        }
        var combined = Runtime.Distributed.ProcessGroup.Current.IsDistributed ? CombineOverRanks(parts, ref loss) : Combine(parts);
        RequireFinite(loss, "the DPO loss", step);
        double gradNorm = ClipAndStep(PolicyOptimizer, PolicyParameters, "policy", step);
        OptimizerFactory.ClearGradients(PolicyParameters);
        return (new Dictionary<string, double> { ["loss/policy"] = loss, ["grad_norm"] = gradNorm }, combined);
    }

    /// <summary><see cref="Combine"/> over every rank's micro-batches (pair-weighted sums all-reduced), and the
    /// minibatch loss summed over ranks.</summary>
    static DpoBatchMetrics CombineOverRanks(IReadOnlyList<DpoBatchMetrics> parts, ref double loss)
    {
        Func<DpoBatchMetrics, double>[] fields = [p => p.Loss, p => p.RewardsChosen, p => p.RewardsRejected, p => p.RewardsAccuracies,
            p => p.RewardsMargins, p => p.LogpsChosen, p => p.LogpsRejected];
        var sums = new double[fields.Length + 2];
        sums[0] = loss;
        sums[1] = parts.Sum(p => (double)p.Count);
        for (int f = 0; f < fields.Length; f++) sums[2 + f] = parts.Sum(p => fields[f](p) * p.Count);
        RolloutShards.Sum(sums);
        loss = sums[0];
        double n = sums[1];
        double Mean(int f) => n == 0 ? 0 : sums[2 + f] / n;
        return new DpoBatchMetrics(Mean(0), Mean(1), Mean(2), Mean(3), Mean(4), Mean(5), Mean(6), (long)Math.Round(n));
    }

    /// <summary>Pair-weighted means of micro-batch metrics.</summary>
    static DpoBatchMetrics Combine(IReadOnlyList<DpoBatchMetrics> parts)
    {
        long n = parts.Sum(p => p.Count);
        double Mean(Func<DpoBatchMetrics, double> f) => n == 0 ? 0 : parts.Sum(p => f(p) * p.Count) / n;
        return new DpoBatchMetrics(Mean(p => p.Loss), Mean(p => p.RewardsChosen), Mean(p => p.RewardsRejected), Mean(p => p.RewardsAccuracies),
            Mean(p => p.RewardsMargins), Mean(p => p.LogpsChosen), Mean(p => p.LogpsRejected), n);
    }

    public override JsonObject Describe() => new()
    {
        ["name"] = Command,
        ["num_generations"] = options.NumGenerations,
        ["pairs"] = "the judge's best vs worst of each prompt's samples (ties left out)",
        ["label_noise"] = options.LabelNoise,
        ["beta"] = options.Beta,
        ["loss"] = "dpo: -log σ(β((log π_c - log π_ref,c) - (log π_r - log π_ref,r))), summed response log-probs at the sampling temperature, mean over pairs",
        ["missing_eos_penalty"] = options.MissingEosPenalty,
        ["temperature"] = options.Temperature,
        ["lr"] = options.Training.Lr,
    };
}
