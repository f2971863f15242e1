using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;
using PrefLab.Training;
using PrefLab.Training.Checkpoints;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The loop every online RL run shares. Each update: draw the prompts of this update (a pure function of the
/// update number), sample k responses each, score them, compute old and reference log-probs (and the
/// algorithm's own pre-update numbers) with the training-mode forward, train, then log metrics (DESIGN.md names,
/// plus time/generation, time/scoring, time/logprobs, time/training, gold/score), append samples to
/// rollouts.jsonl, and checkpoint. A checkpoint holds the policy, the algorithm's other models, every optimizer,
/// the torch RNG and the algorithm's state; sampling seeds, prompt order and minibatch order derive from
/// (seed, update), so a resumed run continues exactly as the uninterrupted one would.
/// </summary>
public static class OnlineTrainer
{
    public static TrainingResult Run(OnlineRlSession session, OnlineObjective objective)
    {
        var options = session.Options;
        options.ValidateRows(objective.SamplesPerPrompt);
        var run = RunDirectory.Start(options.Output, objective.Command, options.RecordedOptions, options.Seed, options.Resume);
        try
        {
            var result = Train(session, objective, run);
            run.Complete(result.FinalMetrics);
            return result;
        }
        catch (Exception e)
        {
            run.Fail(e.Message);
            throw;
        }
    }

    static TrainingResult Train(OnlineRlSession session, OnlineObjective objective, RunDirectory run)
    {
        var options = session.Options;
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

        var store = new CheckpointStore(run.CheckpointsPath, options.KeepCheckpoints);
        var rolloutLog = new RolloutLog(run.Path);
        var logger = new MetricsLogger(run, options.Tensorboard, options.Console);
        long step = 0;
        if (options.Resume && store.Latest is long resumeFrom)
        {
            var state = store.ReadState(resumeFrom);
            objective.LoadModels(store.PathOf(resumeFrom));
            store.LoadOptimizers(resumeFrom, objective.Optimizers);
            CheckpointStore.RestoreTorchRng(state.TorchRngState);
            objective.Restore(state.Extra);
            logger.RewindTo(resumeFrom);
            rolloutLog.TruncateAfter(resumeFrom);
            step = state.Step;
        }
        else
        {
            // A fresh start (or --resume without a checkpoint) keeps no earlier lines.
            logger.RewindTo(0);
            rolloutLog.TruncateAfter(0);
            Seeding.SetGlobal(Seeding.Derive(options.Seed, "online-rl/torch"));
        }

        var lastMetrics = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        using (var progress = ProgressReporter.Start(objective.Command, totalSteps, "update"))
        {
            progress.SetPosition(step);
            logger.AttachProgress(progress);
            while (step < totalSteps)
            {
                lastMetrics = Update(session, objective, step, rolloutLog, out var outcomeStep);
                step = outcomeStep;
                lastMetrics["elapsed_sec"] = clock.Elapsed.TotalSeconds;
                if (step == 1 || step % options.LogEvery == 0 || step == totalSteps)
                    logger.Log(step, session.Pool.EpochAt(step, options.RolloutBatchSize), lastMetrics);
                if (options.SaveEvery > 0 && step % options.SaveEvery == 0)
                {
                    var state = new TrainerState(step, (int)(step * options.RolloutBatchSize / session.Pool.Count), 0,
                        CheckpointStore.CaptureTorchRng(), objective.State());
                    store.Save(state, objective.SaveModels, objective.Optimizers);
                }
                progress.Advance();
                options.AfterStep?.Invoke(step);
            }
            logger.AttachProgress(null);
        }
        SaveFinalModels(run, objective);
        return new TrainingResult(step, lastMetrics);
    }

    static Dictionary<string, double> Update(OnlineRlSession session, OnlineObjective objective, long step, RolloutLog rolloutLog, out long nextStep)
    {
        var options = session.Options;
        var engine = session.Engine;
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var rollout = engine.Sample(step, objective.SamplesPerPrompt);
        engine.Score(rollout);
        var firstPass = MinibatchPlan.Create(options.Seed, step, 0, rollout.Rows, options.NumMinibatches, options.ForwardBatchSize);
        var logProbClock = Stopwatch.StartNew();
        engine.ComputeLogProbs(rollout, firstPass.MicroBatches);
        objective.Prepare(rollout, firstPass);
        double logProbSeconds = logProbClock.Elapsed.TotalSeconds;
        var trainClock = Stopwatch.StartNew();
        var outcome = objective.Train(rollout, step, firstPass);
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        nextStep = step + 1;

        var metrics = outcome.Metrics;
        if (rollout.Gold is { } gold) metrics["gold/score"] = gold.Average();
        metrics["episodes"] = (double)nextStep * options.RolloutBatchSize;
        metrics["time/generation"] = rollout.GenerationSeconds;
        metrics["time/scoring"] = rollout.ScoringSeconds;
        metrics["time/logprobs"] = logProbSeconds;
        metrics["time/training"] = trainSeconds;
        double seconds = clock.Elapsed.TotalSeconds;
        metrics["time/update"] = seconds;
        metrics["tokens_per_sec"] = rollout.Generation.GeneratedTokens / Math.Max(seconds, 1e-9);
        if (options.RolloutLogEvery > 0 && (nextStep == 1 || nextStep % options.RolloutLogEvery == 0))
            rolloutLog.Append(nextStep, rollout, outcome.Samples);
        return metrics;
    }

    // As the offline trainer: into a staging folder first, then moved into the run folder with config.json last,
    // so a folder with a config.json always holds a complete model. Subfolders (the value model) move whole.
    static void SaveFinalModels(RunDirectory run, OnlineObjective objective)
    {
        string staging = Path.Combine(run.Path, ".final-model.tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        objective.SaveModels(staging);
        foreach (string folder in Directory.GetDirectories(staging))
        {
            string target = Path.Combine(run.Path, Path.GetFileName(folder));
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(folder, target);
        }
        foreach (string file in Directory.GetFiles(staging).OrderBy(f => Path.GetFileName(f) == "config.json" ? 1 : 0))
            File.Move(file, Path.Combine(run.Path, Path.GetFileName(file)), overwrite: true);
        Directory.Delete(staging, recursive: true);
    }
}
