using System.Diagnostics;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The one rollout engine of PPO, RLOO and GRPO: draw an update's prompts, sample each k times from the policy
/// at the sampling temperature (a seed per update, so a resumed run samples the same), score prompt + response
/// with the reward (and the gold judge when a World is given), then compute the old and reference log-probs with
/// the training-mode forward before any update. Under mpirun each rank generates, scores and forwards its share and
/// every rank ends with the whole rollout, equal to one process's (<see cref="RolloutShards"/>).
/// </summary>
public sealed class RolloutEngine
{
    readonly OnlineRlOptions options;

    public RolloutEngine(OnlineRlOptions options, PromptPool pool, CausalLM policy, CausalLM reference, TextGenerator generator,
        IRewardScorer reward, GoldRewardScorer? gold)
    {
        this.options = options;
        Pool = pool;
        Policy = policy;
        Reference = reference;
        Generator = generator;
        Reward = reward;
        Gold = gold;
    }

    public PromptPool Pool { get; }
    public CausalLM Policy { get; }
    public CausalLM Reference { get; }
    /// <summary>Switched off for the reference forward when the reference is the policy with LoRA adapters.</summary>
    public Models.Lora.LoraAdapters? ReferenceAdaptersOff { get; init; }
    public TextGenerator Generator { get; }
    public IRewardScorer Reward { get; }
    public GoldRewardScorer? Gold { get; }

    /// <summary>The sampling seed of update <paramref name="step"/> (0-based).</summary>
    public long SamplingSeed(long step) => Seeding.Derive(options.Training.Seed, $"online-rl/rollout/{step}");

    /// <summary>Samples update <paramref name="step"/>'s prompts, each <paramref name="samplesPerPrompt"/> times (adjacent rows).</summary>
    public Rollout Sample(long step, int samplesPerPrompt)
    {
        var clock = Stopwatch.StartNew();
        var prompts = Pool.Batch(step, options.RolloutBatchSize);
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt)).ToArray();
        var generationOptions = new GenerationOptions
        {
            Temperature = options.Temperature,
            MaxNewTokens = options.MaxNewTokens,
            Seed = SamplingSeed(step),
            BatchSize = options.GenerationBatchSize,
        };
        var promptIds = rows.Select(i => Pool.Ids[i]).ToList();
        var group = ProcessGroup.Current;
        GenerationResult generation;
        if (!group.IsDistributed) generation = Generator.Generate(promptIds, generationOptions);
        else
        {
            // This rank's share of one process's generation batches; a row's sampling key is its global index.
            int[] own = RolloutShards.GenerationRows(promptIds.Select(ids => ids.Length).ToArray(), options.GenerationBatchSize, group.Rank, group.Size);
            var mine = Generator.Generate(own.Select(row => new PromptRequest(promptIds[row]) { SamplingKey = row }).ToList(), generationOptions);
            generation = RolloutShards.Gather(group, own, mine, promptIds);
        }
        var batch = generation.ToBatch();
        var rollout = new Rollout(step, rows, rows.Select(i => Pool.Records[i].Messages).ToList(), generation, batch);
        rollout.GenerationSeconds = clock.Elapsed.TotalSeconds;
        return rollout;
    }

    /// <summary>Scores every sample with the reward (and the gold judge when a World is given).</summary>
    public void Score(Rollout rollout)
    {
        var clock = Stopwatch.StartNew();
        var samples = new ScoringBatch(rollout.Prompts, rollout.Responses, rollout.Batch.InputIds, rollout.Batch.AttentionMask);
        if (ProcessGroup.Current.IsDistributed)
        {
            ScoreShared(rollout, samples);
            rollout.ScoringSeconds = clock.Elapsed.TotalSeconds;
            return;
        }
        var scores = Reward.Score(samples);
        if (scores.Length != rollout.Rows) throw new InvalidOperationException($"the reward gave {scores.Length} scores for {rollout.Rows} samples");
        foreach (double s in scores)
            if (!double.IsFinite(s)) throw new UserError($"update {rollout.Step + 1}: the reward returned {s} (not finite)");
        rollout.Scores = tensor(scores.Select(s => (float)s).ToArray());
        rollout.MemberScores = Reward is EnsembleRewardScorer ensemble ? ensemble.LastMemberScores : null;
        rollout.Gold = Gold is null ? null : ReferenceEquals(Gold, Reward) ? scores : Gold.Score(samples);
        rollout.ScoringSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Under mpirun: every N-th chunk of --batch-size rows of the whole rollout (the reward model's own
    /// forward batches on one process), the scores (ensemble members', gold) summed over ranks into zeros.</summary>
    void ScoreShared(Rollout rollout, ScoringBatch samples)
    {
        int rows = rollout.Rows;
        int members = Reward is EnsembleRewardScorer ensemble ? ensemble.Members.Count : 0;
        bool separateGold = Gold is not null && !ReferenceEquals(Gold, Reward);
        // [scores | member 0 | ... | member m-1 | gold]
        var all = new double[rows * (1 + members + (separateGold ? 1 : 0))];
        foreach (var (start, count) in RolloutShards.Chunks(ProcessGroup.Current, rows, options.ForwardBatchSize))
        {
            using var scope = NewDisposeScope();
            var part = new ScoringBatch(samples.Prompts.Skip(start).Take(count).ToList(), samples.Responses.Skip(start).Take(count).ToList(),
                samples.InputIds.narrow(0, start, count), samples.AttentionMask.narrow(0, start, count));
            var scores = Reward.Score(part);
            if (scores.Length != count) throw new InvalidOperationException($"the reward gave {scores.Length} scores for {count} samples");
            scores.CopyTo(all, start);
            if (Reward is EnsembleRewardScorer e)
                for (int m = 0; m < members; m++) e.LastMemberScores[m].CopyTo(all, (1 + m) * rows + start);
            if (separateGold) Gold!.Score(part).CopyTo(all, (1 + members) * rows + start);
        }
        RolloutShards.Sum(all);
        var reduced = all.AsSpan(0, rows).ToArray();
        foreach (double s in reduced)
            if (!double.IsFinite(s)) throw new UserError($"update {rollout.Step + 1}: the reward returned {s} (not finite)");
        rollout.Scores = tensor(reduced.Select(s => (float)s).ToArray());
        rollout.MemberScores = members == 0 ? null
            : Enumerable.Range(0, members).Select(m => all.AsSpan((1 + m) * rows, rows).ToArray()).ToList();
        rollout.Gold = Gold is null ? null : separateGold ? all.AsSpan((1 + members) * rows, rows).ToArray() : reduced;
    }

    /// <summary>Old (policy) and reference log-probs at the sampling temperature, computed over
    /// <paramref name="microBatches"/> (the first pass's micro-batches, so the first minibatch sees identical forwards).</summary>
    public void ComputeLogProbs(Rollout rollout, IReadOnlyList<int[]> microBatches)
    {
        var clock = Stopwatch.StartNew();
        rollout.OldLogProbs = Forward(rollout, microBatches, Policy);
        using (ReferenceAdaptersOff?.Disabled())
            rollout.RefLogProbs = Forward(rollout, microBatches, Reference);
        rollout.LogProbSeconds = clock.Elapsed.TotalSeconds;
    }

    Tensor Forward(Rollout rollout, IReadOnlyList<int[]> microBatches, CausalLM model)
    {
        var result = zeros(rollout.Rows, rollout.Batch.ResponseLength, dtype: ScalarType.Float32);  // [B, R]
        using var noGrad = no_grad();
        foreach (var micro in RolloutShards.Mine(microBatches))
        {
            using var scope = NewDisposeScope();
            var slice = rollout.Slice(micro);
            var logProbs = PolicyForward.ResponseLogProbs(model, slice.InputIds, slice.AttentionMask, slice.ResponseIds, slice.ResponseMask,
                options.Temperature, options.LogitsChunk);
            result.index_copy_(0, slice.Index, logProbs.to_type(ScalarType.Float32));
        }
        RolloutShards.Sum(result); // under mpirun each rank filled its micro-batches' rows
        return result;
    }
}
