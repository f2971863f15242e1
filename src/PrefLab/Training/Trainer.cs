using System.Diagnostics;
using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;
using PrefLab.Training.Checkpoints;
using PrefLab.Training.Optimization;
using static TorchSharp.torch;

namespace PrefLab.Training;

/// <summary>What a finished run reports.</summary>
public sealed record TrainingResult(long Steps, IReadOnlyDictionary<string, double> FinalMetrics);

/// <summary>
/// The supervised training loop every offline trainer (pretrain, SFT, RM, DPO) shares: effective batches from
/// a seeded <see cref="BatchPlan"/>, gradient accumulation normalised by the whole step's weight (so batch 8
/// equals 8 micro-batches of 1), global-norm clipping, AdamW with a warm-up/decay schedule, metrics each
/// <c>--log-every</c> steps (the first always), evaluation, checkpoints keeping the last K, exact resume, and
/// a clear stop on a non-finite loss. Every step runs in its own dispose scope. Under mpirun
/// (<see cref="ProcessGroup.Current"/> of several ranks) each step's micro-batches are shared among the ranks and
/// their gradients summed before clipping (<see cref="DataParallel"/>), so N ranks train as one process with
/// <c>--grad-accum</c> × N.
/// </summary>
public sealed class Trainer
{
    readonly ITrainingObjective objective;
    readonly TrainingOptions options;
    readonly RunDirectory run;
    readonly MetricsLogger logger;
    readonly string label;

    public Trainer(ITrainingObjective objective, TrainingOptions options, RunDirectory run, MetricsLogger logger, string label)
    {
        options.Validate();
        this.objective = objective; this.options = options; this.run = run; this.logger = logger; this.label = label;
    }

    /// <summary>Called after each optimizer step (tests use it to interrupt a run).</summary>
    public Action<long>? AfterStep { get; set; }

    public TrainingResult Run() => TrainingLoop.Guarded(run, Train);

    TrainingResult Train()
    {
        var group = ProcessGroup.Current;
        var plan = new BatchPlan(objective.Count, options.BatchSize, options.GradAccum * group.Size, options.Seed,
            options.BucketByLength ? objective.Length : null);
        long totalSteps = options.MaxSteps ?? (long)options.Epochs * plan.StepsPerEpoch;
        var schedule = LrSchedule.FromRatio(options.Schedule, options.Lr, totalSteps, options.WarmupRatio, options.MinLrRatio);
        var parameters = OptimizerFactory.Distinct(objective.Parameters).Where(p => p.requires_grad).ToList();
        using var optimizer = OptimizerFactory.AdamW(parameters, options);
        var optimizers = new Dictionary<string, optim.Optimizer> { ["model"] = optimizer };
        var store = new CheckpointStore(run.CheckpointsPath, options.KeepCheckpoints);
        DataParallel.CheckRanksAgree(group, objective, options, parameters);

        long firstStep = 0;
        int epoch = 0, stepInEpoch = 0;
        if (TrainingLoop.Resume(options.Resume, store, logger, objective.LoadModel, optimizers, options.Seed, "train/torch") is { } resumed)
            (firstStep, epoch, stepInEpoch) = (resumed.State.Step, resumed.State.Epoch, resumed.State.StepInEpoch);

        IReadOnlyList<IReadOnlyList<int[]>> epochSteps = plan.Epoch(epoch);
        double EpochPosition() => epoch + (double)stepInEpoch / Math.Max(1, epochSteps.Count);
        var loop = new LoopPlan
        {
            Label = label, TotalSteps = totalSteps, LogEvery = options.LogEvery, SaveEvery = options.SaveEvery,
            Capture = step => new TrainerState(step, epoch, stepInEpoch, CheckpointStore.CaptureTorchRng(), new Dictionary<string, string>()),
            SaveModels = objective.SaveModel, SaveCheckpointModels = objective.SaveCheckpointModel, Optimizers = optimizers, AfterStep = AfterStep,
            AfterLog = (step, report) =>
            {
                if (options.EvalEvery > 0 && step % options.EvalEvery == 0) LogEvaluation(step, report.Epoch, report.Metrics);
            },
            AtEnd = (step, last) =>
            {
                if (options.EvalEvery == 0 || step % options.EvalEvery != 0)
                    LogEvaluation(step, EpochPosition(), last.Metrics);
            },
        };
        return TrainingLoop.Run(loop, run, store, logger, firstStep, step =>
        {
            if (stepInEpoch >= epochSteps.Count)
            {
                epoch++;
                stepInEpoch = 0;
                epochSteps = plan.Epoch(epoch);
            }
            var stepClock = Stopwatch.StartNew();
            var metrics = OptimizerStep(epochSteps[stepInEpoch], parameters, optimizer, schedule.At(step), step + 1);
            stepInEpoch++;
            metrics["tokens_per_sec"] = metrics["tokens_per_sec"] / Math.Max(stepClock.Elapsed.TotalSeconds, 1e-9);
            return new LoopStep(metrics, epoch + (double)stepInEpoch / epochSteps.Count);
        });
    }

    Dictionary<string, double> OptimizerStep(IReadOnlyList<int[]> microBatches, IReadOnlyList<TorchSharp.Modules.Parameter> parameters,
        optim.Optimizer optimizer, double lr, long stepNumber)
    {
        using var scope = NewDisposeScope();
        OptimizerFactory.SetLearningRate(optimizer, lr);
        OptimizerFactory.ClearGradients(parameters);
        double weight = microBatches.Sum(objective.Weight);
        if (!(weight > 0)) throw new InvalidOperationException($"step {stepNumber}: the batch has no loss-bearing tokens");
        double lossSum = 0;
        long tokens = 0;
        var sums = new Dictionary<string, (double Sum, double Weight)>();
        var group = ProcessGroup.Current;
        var indices = Enumerable.Range(0, microBatches.Count).ToList();
        foreach (int index in group.IsDistributed ? DataParallel.Shard(indices, group.Rank, group.Size) : indices)
        {
            using var microScope = NewDisposeScope();
            // Dropout (LoRA's) draws from torch's global stream, seeded per (step, micro-batch): a micro-batch's masks are
            // the same whichever rank computes it, so N ranks equal one process with N-fold accumulation with dropout too.
            manual_seed(Runtime.Seeding.Derive(options.Seed, $"dropout/{stepNumber}/{index}"));
            var result = objective.Compute(microBatches[index]);
            (result.LossSum / weight).backward();
            lossSum += result.LossSum.detach().cpu().to_type(ScalarType.Float64).item<double>();
            tokens += result.Tokens;
            foreach (var (name, (sum, w)) in result.MetricSums)
                sums[name] = sums.TryGetValue(name, out var acc) ? (acc.Sum + sum, acc.Weight + w) : (sum, w);
        }
        if (group.IsDistributed)
        {
            DataParallel.AllreduceGradients(group, parameters);
            (lossSum, tokens, sums) = DataParallel.ReduceStep(group, lossSum, tokens, sums);
        }
        double loss = lossSum / weight;
        if (!double.IsFinite(loss))
            throw new UserError($"step {stepNumber}: the loss is {loss} (not finite); stopping before it corrupts the model. Try a lower --lr or check the data.");
        double gradNorm = nn.utils.clip_grad_norm_(parameters, options.ClipNorm > 0 ? options.ClipNorm : double.PositiveInfinity);
        if (!double.IsFinite(gradNorm))
            throw new UserError($"step {stepNumber}: the gradient norm is {gradNorm} (not finite); stopping before it corrupts the model. Try a lower --lr.");
        optimizer.step();
        OptimizerFactory.ClearGradients(parameters);

        var metrics = new Dictionary<string, double> { ["loss"] = loss };
        if (objective is IStepMetrics derived)
            foreach (var (name, value) in derived.StepMetrics(sums)) metrics[name] = value;
        else
            foreach (var (name, (sum, w)) in sums) metrics[name] = w > 0 ? sum / w : 0;
        metrics["lr"] = lr;
        metrics["grad_norm"] = gradNorm;
        metrics["tokens_per_sec"] = tokens; // divided by the step's time by the caller
        return metrics;
    }

    void LogEvaluation(long step, double epoch, Dictionary<string, double> into)
    {
        if (!ProcessGroup.Current.IsRoot) return; // only rank 0 logs; the others would repeat its work
        IReadOnlyDictionary<string, double> evaluation;
        using (var scope = NewDisposeScope())
        using (no_grad())
            evaluation = objective.Evaluate();
        if (evaluation.Count == 0) return;
        logger.Log(step, epoch, evaluation);
        foreach (var (name, value) in evaluation) into[name] = value;
    }
}
