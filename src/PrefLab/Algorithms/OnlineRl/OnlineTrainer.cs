using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Training;
using PrefLab.Training.Checkpoints;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The loop every online RL run shares. Each update: draw the prompts of this update (a pure function of the
/// update number), sample k responses each, score them, compute old and reference log-probs (and the
/// algorithm's own pre-update numbers) with the training-mode forward, train, then log metrics (DESIGN.md names,
/// plus time/generation, time/scoring, time/logprobs, time/training, gold/score, and with a reward-model ensemble
/// objective/scores/member_i: member i's mean normalised score, before the missing-EOS penalty), append samples to
/// rollouts.jsonl, and checkpoint. A checkpoint holds the policy, the algorithm's other models, every optimizer,
/// the torch RNG and the algorithm's state; sampling seeds, prompt order and minibatch order derive from
/// (seed, update), so a resumed run continues exactly as the uninterrupted one would. Under mpirun (PPO, RLOO, GRPO,
/// online DPO:
/// <see cref="OnlineObjective.RunsDataParallel"/>) each rank generates, scores and forwards its share of every rollout
/// and of every minibatch (<see cref="RolloutShards"/>), so N ranks train as one process with the same options; rank 0
/// alone writes the run folder and rollouts.jsonl.
/// </summary>
public static class OnlineTrainer
{
    public static TrainingResult Run(OnlineRlSession session, OnlineObjective objective)
    {
        var options = session.Options;
        options.ValidateRows(objective.SamplesPerPrompt);
        if (Runtime.Distributed.ProcessGroup.Current.IsDistributed && !objective.RunsDataParallel)
            throw new UserError($"{objective.Command} does not run under mpirun (its minibatches are not shared among ranks); run it as one process");
        var run = RunDirectory.Start(options.Output, objective.Command, options.RecordedOptions, options.Training.Seed, options.Training.Resume);
        return TrainingLoop.Guarded(run, () => Train(session, objective, run));
    }

    static TrainingResult Train(OnlineRlSession session, OnlineObjective objective, RunDirectory run)
    {
        var options = session.Options;
        var group = Runtime.Distributed.ProcessGroup.Current;
        if (group.IsDistributed)
        {
            // Every rank draws its prompts from the same pool and starts from the same policy.
            group.Agree("prompts (count and token lengths)", string.Join(',', session.Pool.Ids.Select(ids => ids.Length)));
            DataParallel.AgreeOnWeights(group, "starting policy weights (check --policy and --seed)", session.Policy.parameters());
        }
        long totalSteps = options.TotalSteps(session.Pool.Count);
        objective.Start(totalSteps);
        run.Set("prompts", session.Pool.Report);
        run.Set("reward", session.Reward.Describe());
        if (session.Gold is { } gold && !ReferenceEquals(gold, session.Reward)) run.Set("gold_monitor", gold.Describe());
        run.Set("models", session.DescribeModels());
        run.Set("algorithm", objective.Describe());
        run.Set("plan", new JsonObject
        {
            ["updates"] = totalSteps,
            ["prompts_per_update"] = options.RolloutBatchSize,
            ["samples_per_prompt"] = objective.SamplesPerPrompt,
            ["ppo_epochs"] = options.PpoEpochs,
            ["num_minibatches"] = options.NumMinibatches,
            ["episodes"] = totalSteps * options.RolloutBatchSize,
        });

        var store = new CheckpointStore(run.CheckpointsPath, options.Training.KeepCheckpoints);
        var rolloutLog = run.Writes ? new RolloutLog(run.Path) : null; // under mpirun rank 0 alone writes
        var logger = new MetricsLogger(run, options.Training.Tensorboard, options.Console);
        var resumed = TrainingLoop.Resume(options.Training.Resume, store, logger, objective.LoadModels, objective.Optimizers, options.Training.Seed, "online-rl/torch");
        if (resumed is not null) objective.Restore(resumed.State.Extra);
        rolloutLog?.TruncateAfter(resumed?.Step ?? 0); // a fresh start (or --resume without a checkpoint) keeps no earlier lines

        var loop = new LoopPlan
        {
            Label = objective.Command, Unit = "update", TotalSteps = totalSteps, LogEvery = options.Training.LogEvery, SaveEvery = options.Training.SaveEvery,
            Capture = step => new TrainerState(step, (int)(step * options.RolloutBatchSize / session.Pool.Count), 0,
                CheckpointStore.CaptureTorchRng(), objective.State()),
            SaveModels = objective.SaveModels, SaveCheckpointModels = objective.SaveCheckpointModels, Optimizers = objective.Optimizers, AfterStep = options.AfterStep,
        };
        return TrainingLoop.Run(loop, run, store, logger, resumed?.State.Step ?? 0, step =>
            new LoopStep(Update(session, objective, step, rolloutLog), session.Pool.EpochAt(step + 1, options.RolloutBatchSize)));
    }

    static Dictionary<string, double> Update(OnlineRlSession session, OnlineObjective objective, long step, RolloutLog? rolloutLog)
    {
        var options = session.Options;
        var engine = session.Engine;
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var rollout = engine.Sample(step, objective.SamplesPerPrompt);
        engine.Score(rollout);
        var firstPass = MinibatchPlan.Create(options.Training.Seed, step, 0, rollout.Rows, options.NumMinibatches, options.ForwardBatchSize);
        var logProbClock = Stopwatch.StartNew();
        engine.ComputeLogProbs(rollout, firstPass.MicroBatches);
        objective.Prepare(rollout, firstPass);
        double logProbSeconds = logProbClock.Elapsed.TotalSeconds;
        var trainClock = Stopwatch.StartNew();
        var outcome = objective.Train(rollout, step, firstPass);
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        long nextStep = step + 1;

        var metrics = outcome.Metrics;
        if (rollout.Gold is { } gold) metrics["gold/score"] = gold.Average();
        if (rollout.MemberScores is { } members)
            for (int i = 0; i < members.Count; i++) metrics[EnsembleRewardScorer.MetricName(i)] = members[i].Average();
        metrics["episodes"] = (double)nextStep * options.RolloutBatchSize;
        metrics["time/generation"] = rollout.GenerationSeconds;
        metrics["time/scoring"] = rollout.ScoringSeconds;
        metrics["time/logprobs"] = logProbSeconds;
        metrics["time/training"] = trainSeconds;
        double seconds = clock.Elapsed.TotalSeconds;
        metrics["time/update"] = seconds;
        metrics["tokens_per_sec"] = rollout.Generation.GeneratedTokens / Math.Max(seconds, 1e-9);
        if (options.RolloutLogEvery > 0 && (nextStep == 1 || nextStep % options.RolloutLogEvery == 0))
            rolloutLog?.Append(nextStep, rollout, outcome.Samples);
        return metrics;
    }
}
