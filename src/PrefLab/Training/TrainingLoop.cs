using System.Diagnostics;
using System.Globalization;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;
using PrefLab.Training.Checkpoints;
using static TorchSharp.torch;

namespace PrefLab.Training;

/// <summary>What one step of a <see cref="TrainingLoop"/> reports: its metrics and the epoch position they are logged at.</summary>
public sealed record LoopStep(Dictionary<string, double> Metrics, double Epoch);

/// <summary>A run's schedule and the hooks through which an offline or online trainer takes part in the loop.</summary>
public sealed class LoopPlan
{
    public required string Label { get; init; }
    public string Unit { get; init; } = "step";
    public required long TotalSteps { get; init; }
    public required int LogEvery { get; init; }
    /// <summary>Checkpoint every this many steps (0: none).</summary>
    public required int SaveEvery { get; init; }
    /// <summary>The state a checkpoint taken after step N records (epoch, position in it, torch RNG, the trainer's own).</summary>
    public required Func<long, TrainerState> Capture { get; init; }
    /// <summary>Writes every model of the run (the policy and any others, in subfolders) into a folder.</summary>
    public required Action<string> SaveModels { get; init; }
    /// <summary>Writes what a checkpoint holds of the models (null: <see cref="SaveModels"/>; LoRA runs: the adapters).</summary>
    public Action<string>? SaveCheckpointModels { get; init; }
    public required IReadOnlyDictionary<string, optim.Optimizer> Optimizers { get; init; }
    /// <summary>After each step's log (offline trainers evaluate every --eval-every steps here).</summary>
    public Action<long, LoopStep>? AfterLog { get; init; }
    /// <summary>After the last step, before the final save (offline trainers' last evaluation), with the last step's
    /// report (empty metrics when no step ran in this process); what it adds to the metrics is in the result.</summary>
    public Action<long, LoopStep>? AtEnd { get; init; }
    /// <summary>After each step (tests use it to interrupt a run).</summary>
    public Action<long>? AfterStep { get; init; }
}

/// <summary>Where a resumed run picks up: the checkpoint's step and its state.</summary>
public sealed record ResumePoint(long Step, TrainerState State);

/// <summary>
/// The parts of a training run that do not depend on what is trained, shared by the offline <see cref="Trainer"/>
/// and the online RL trainer: the completed/failed wrapper around run.json, resuming from the latest checkpoint
/// (models, optimizers, torch RNG, metrics rewound to it) or seeding a fresh start, the step loop with its log
/// cadence (the first step, every --log-every, the last) and checkpoint cadence, progress, and the staged final save.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Runs <paramref name="train"/>; marks the run completed with its final metrics, or failed with the
    /// error, which is rethrown.</summary>
    public static TrainingResult Guarded(RunDirectory run, Func<TrainingResult> train)
    {
        try
        {
            var result = train();
            run.Complete(result.FinalMetrics);
            return result;
        }
        catch (Exception e)
        {
            run.Fail(e.Message);
            throw;
        }
    }

    /// <summary>
    /// With <paramref name="resume"/> and a checkpoint: loads its models and optimizers, restores the torch RNG and
    /// rewinds metrics.jsonl to it. Otherwise (a fresh start, or --resume before the first checkpoint) drops lines an
    /// earlier process logged and seeds torch from (<paramref name="seed"/>, <paramref name="seedName"/>).
    /// </summary>
    public static ResumePoint? Resume(bool resume, CheckpointStore store, MetricsLogger logger, Action<string> loadModels,
        IReadOnlyDictionary<string, optim.Optimizer> optimizers, long seed, string seedName)
    {
        if (resume && store.Latest is long from)
        {
            var state = store.ReadState(from);
            loadModels(store.PathOf(from));
            store.LoadOptimizers(from, optimizers);
            CheckpointStore.RestoreTorchRng(state.TorchRngState);
            logger.RewindTo(from);
            return new ResumePoint(from, state);
        }
        logger.RewindTo(0);
        Seeding.SetGlobal(Seeding.Derive(seed, seedName));
        return null;
    }

    /// <summary>Runs <paramref name="step"/> for each step from <paramref name="firstStep"/> to the plan's total
    /// (it is given the step number before it runs), then saves the final models.</summary>
    public static TrainingResult Run(LoopPlan plan, RunDirectory run, CheckpointStore store, MetricsLogger logger, long firstStep, Func<long, LoopStep> step)
    {
        long done = firstStep;
        LoopStep? last = null;
        var clock = Stopwatch.StartNew();
        using (var progress = ProgressReporter.Start(plan.Label, plan.TotalSteps, plan.Unit))
        {
            progress.SetPosition(done);
            logger.AttachProgress(progress);
            while (done < plan.TotalSteps)
            {
                last = step(done);
                done++;
                last.Metrics["elapsed_sec"] = clock.Elapsed.TotalSeconds;
                if (done == 1 || done % plan.LogEvery == 0 || done == plan.TotalSteps)
                    logger.Log(done, last.Epoch, last.Metrics);
                plan.AfterLog?.Invoke(done, last);
                if (plan.SaveEvery > 0 && done % plan.SaveEvery == 0 && run.Writes)
                    store.Save(plan.Capture(done), plan.SaveCheckpointModels ?? plan.SaveModels, plan.Optimizers);
                progress.Advance();
                plan.AfterStep?.Invoke(done);
            }
            last ??= new LoopStep(new Dictionary<string, double>(), 0);
            plan.AtEnd?.Invoke(done, last);
            logger.AttachProgress(null);
        }
        if (run.Writes) SaveFinalModels(run.Path, plan.SaveModels);
        return new TrainingResult(done, last.Metrics);
    }

    /// <summary>
    /// The final models go to a staging folder first, then move into the run folder — subfolders (a value model)
    /// whole, files with config.json last — so a folder with a config.json always holds a complete model.
    /// </summary>
    public static void SaveFinalModels(string runPath, Action<string> save)
    {
        string staging = Path.Combine(runPath, ".final-model.tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        save(staging);
        foreach (string folder in Directory.GetDirectories(staging))
        {
            string target = Path.Combine(runPath, Path.GetFileName(folder));
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(folder, target);
        }
        foreach (string file in Directory.GetFiles(staging).OrderBy(f => Path.GetFileName(f) == "config.json" ? 1 : 0))
            File.Move(file, Path.Combine(runPath, Path.GetFileName(file)), overwrite: true);
        Directory.Delete(staging, recursive: true);
    }
}
