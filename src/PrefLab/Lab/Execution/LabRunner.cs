using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;

namespace PrefLab.Lab.Execution;

/// <summary>
/// Runs a grid into a lab folder: expands it, plans the DAG, records both in the store, then executes every node
/// that is not done, inputs first. A node done earlier (by this grid or another in the folder) is reused; a node
/// left running by an interrupted run resumes in its folder; a failed node is retried afresh. Results (metrics,
/// item scores, verdicts) are imported into the store in the same transaction that marks the node done.
/// </summary>
public static partial class LabRunner
{
    public static LabRunSummary Run(string gridPath, string labDir, ILabExecutor executor, LabRunOptions? options = null)
    {
        options ??= new LabRunOptions();
        var clock = Stopwatch.StartNew();
        var grid = GridFile.Load(gridPath);
        var folder = new LabFolder(labDir);
        using var lockHandle = folder.Lock();
        using var store = LabStore.Open(folder.StorePath);
        var plan = LabPlanner.Build(grid, new ContentHasher(store), executor.Fingerprint);
        long gridId = store.Register(plan);
        SaveGridCopy(folder, grid);
        if (options.PlanOnly) return new LabRunSummary(plan, gridId, 0, 0, 0, [], 0, clock.Elapsed);

        var queue = new Queue(plan, store, folder, executor, options, gridPath);
        bool bf16Nodes = plan.Nodes.Any(n => NodeState.PrecisionOf(n.Settings.GetString("precision")) == Models.Layers.LinearPrecision.Bf16);
        // The peak is measured before the nodes too (when some are to run) and the store keeps the higher: on a
        // machine that another process loads for part of the run, one measurement can land in the busy part and
        // state nodes that ran quiet above 100% of it.
        if (plan.Nodes.Any(n => store.Node(n.Id)!.Status != NodeStatus.Done)) RecordPeaks(store, bf16Nodes);
        try
        {
            if (options.Jobs > 1) queue.RunAllInParallel();
            else queue.RunAll();
        }
        finally
        {
            // The denominator of the report's utilisation: this machine's matmul peak, measured (about a second)
            // only when nodes did model work here, so that a node's MFU is stated against the machine that ran it.
            if (queue.ModelFlops > 0) RecordPeaks(store, bf16Nodes);
        }
        return new LabRunSummary(plan, gridId, queue.Executed, queue.Reused, queue.Resumed, queue.Failed, queue.Blocked, clock.Elapsed)
        {
            ModelFlops = queue.ModelFlops,
        };
    }

    static void RecordPeaks(LabStore store, bool bf16Nodes)
    {
        store.RecordPeak(MatmulPeak.Measure(TorchSharp.torch.ScalarType.Float32, trials: 3).BestGflops);
        // bf16 nodes' denominator is the bf16 peak (several times fp32's where the CPU has AVX-512 BF16).
        if (bf16Nodes) store.RecordPeak(MatmulPeak.Measure(TorchSharp.torch.ScalarType.BFloat16, trials: 3).BestGflops, Models.Layers.LinearPrecision.Bf16);
    }

    static void SaveGridCopy(LabFolder folder, GridSpec grid)
    {
        string path = Path.Combine(folder.GridsFolder, $"{grid.Name}-{ContentHasher.Sha256Hex(grid.Text)[..8]}{Path.GetExtension(grid.Path)}");
        if (!File.Exists(path)) AtomicFile.WriteAllText(path, grid.Text);
    }

    sealed partial class Queue(LabPlan plan, LabStore store, LabFolder folder, ILabExecutor executor, LabRunOptions options, string gridPath)
    {
        readonly HashSet<string> unusable = new(StringComparer.Ordinal);
        public int Executed, Reused, Resumed, Blocked;
        /// <summary>The model FLOPs of the nodes this run executed (here or in child processes).</summary>
        public long ModelFlops;
        public readonly List<NodeState> Failed = [];

        public void RunAll()
        {
            int total = plan.Nodes.Count;
            using var progress = options.ShowProgress ? ProgressReporter.Start($"lab {plan.Grid.Name}", total, "node") : SilentProgress.Instance;
            int position = 0;
            foreach (var node in plan.Nodes)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                position++;
                string prefix = $"[{position}/{total}] {node.Kind.Name()} {node.Label} ({node.Id})";
                if (node.UpstreamIds.FirstOrDefault(unusable.Contains) is { } blocker)
                {
                    unusable.Add(node.Id);
                    Blocked++;
                    options.Log?.WriteLine($"lab: {prefix}: not run: input {blocker} failed");
                    progress.Advance();
                    continue;
                }
                if (TryReuse(node, prefix))
                {
                    Reused++;
                    progress.Advance();
                    continue;
                }
                progress.SetStatus($"{node.Kind.Name()} {node.Label}");
                Execute(node, prefix, progress);
                progress.Advance();
            }
        }

        /// <summary>True when the node's result is already in the store and its folder, or the folder holds a
        /// finished result the store lacks (adopted).</summary>
        bool TryReuse(LabNode node, string prefix)
        {
            var state = store.Node(node.Id)!;
            string output = folder.NodeFolder(node.Folder);
            var recorded = ResultFile.Read(output, node.Id);
            if (state.Status == NodeStatus.Done && recorded is not null) return true;
            if (state.Status == NodeStatus.Done)
            {
                options.Log?.WriteLine($"lab: {prefix}: its folder lost its result; running it again");
                store.MarkPending(node.Id);
                return false;
            }
            if (recorded is not null && state.Status != NodeStatus.Failed)
            {
                store.MarkDone(node.Id, recorded, node.Kind.Trains() ? MetricsFile.Read(output) : [], 0);
                options.Log?.WriteLine($"lab: {prefix}: adopted the finished result in its folder");
                return true;
            }
            return false;
        }

        /// <summary>Readies the node's folder (kept when resuming an interrupted attempt, else emptied), records it
        /// running and returns the folder and whether it resumes.</summary>
        (string Output, bool Resume) Start(LabNode node, string prefix)
        {
            var state = store.Node(node.Id)!;
            string output = folder.NodeFolder(node.Folder);
            bool resume = state.Status == NodeStatus.Running && Directory.Exists(output);
            if (!resume)
            {
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
                Directory.CreateDirectory(output);
            }
            WriteNodeFile(node, output);
            store.MarkRunning(node.Id, resume);
            if (resume) Resumed++;
            options.Log?.WriteLine($"lab: {prefix}: {(resume ? "resuming" : "starting")}");
            return (output, resume);
        }

        void Done(LabNode node, string prefix, string output, NodeResult result, double seconds, long flops)
        {
            store.MarkDone(node.Id, result, node.Kind.Trains() ? MetricsFile.Read(output) : [], seconds, flops);
            ModelFlops += flops;
            Executed++;
            options.Log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lab: {prefix}: done in {seconds:F1}s"));
        }

        /// <summary>Records a failed node; without --keep-going, the exception that stops the grid.</summary>
        LabNodeFailedException? Fail(LabNode node, string prefix, string output, string cause, double seconds, Exception inner)
        {
            store.MarkFailed(node.Id, cause, seconds);
            Failed.Add(store.Node(node.Id)!);
            unusable.Add(node.Id);
            options.Log?.WriteLine($"lab: {prefix}: failed: {cause}");
            return options.KeepGoing ? null : new LabNodeFailedException(
                $"{node.Kind.Name()} node {node.Id} ({node.Label}) failed: {cause} — its folder is {output}; " +
                "fix the cause and run the grid again (finished nodes are kept; the failed one starts afresh), or pass --keep-going",
                node, output, inner);
        }

        void Execute(LabNode node, string prefix, IProgressTask progress, int attempt = 1)
        {
            var (output, resume) = Start(node, prefix);
            string queueStatus = $"{node.Kind.Name()} {node.Label}";
            var work = new NodeWork(node, output, NodeInputs(plan, folder, node), resume, text => progress.SetStatus(queueStatus + " | " + text), options.Cancellation);
            var clock = Stopwatch.StartNew();
            long flopsBefore = Models.ModelFlops.OnThisThread; // nodes run on this thread: the counter's growth is this node's work
            bool quiet = ProgressReporter.Quiet;
            try
            {
                // Trainers' own progress bars would fight the queue's for the terminal: they report through work.Status.
                ProgressReporter.Quiet = true;
                var result = Dispatch(executor, work);
                Validate(node, result);
                ResultFile.Write(output, node.Id, node.Kind.Name(), result);
                Done(node, prefix, output, result, clock.Elapsed.TotalSeconds, Models.ModelFlops.OnThisThread - flopsBefore);
            }
            catch (OperationCanceledException) when (options.Cancellation.IsCancellationRequested)
            {
                store.MarkInterrupted(node.Id, clock.Elapsed.TotalSeconds);
                options.Log?.WriteLine($"lab: {prefix}: interrupted; the next run resumes it");
                throw;
            }
            catch (ExternalException e) when (attempt == 1 && !options.Cancellation.IsCancellationRequested)
            {
                // LibTorch stopped inside a native call. TorchSharp 0.107 frees the Scalars it converts implicitly (the
                // alpha of every add, the exponent of pow) by finalizer, so a GC during the call can free one that is
                // still in use ("INTERNAL ASSERT FAILED at c10/core/Scalar.h": dotnet/TorchSharp#1434, #1496). Such a
                // failure is not the node's: it is run once more, resuming from its last checkpoint as after a kill
                // (exact), so the results are the same as an unbroken run's.
                options.Log?.WriteLine($"lab: {prefix}: LibTorch failed ({FirstLine(e.Message)}); running it once more");
                ProgressReporter.Quiet = quiet;
                Execute(node, prefix, progress, attempt + 1);
                return;
            }
            catch (Exception e)
            {
                if (Fail(node, prefix, output, Cause(e), clock.Elapsed.TotalSeconds, e) is { } stop) throw stop;
            }
            finally
            {
                ProgressReporter.Quiet = quiet;
            }
        }
    }

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    static string Cause(Exception e) => e is UserError or InvalidDataException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>Input role → the absolute folder of the upstream node, or the external file.</summary>
    static Dictionary<string, string> NodeInputs(LabPlan plan, LabFolder folder, LabNode node) =>
        node.Inputs.ToDictionary(i => i.Role,
            i => i.NodeId is not null ? folder.NodeFolder(plan.Node(i.NodeId).Folder) : i.ExternalPath!, StringComparer.Ordinal);

    static NodeResult Dispatch(ILabExecutor executor, NodeWork work)
    {
        switch (work.Kind)
        {
            case NodeKind.World: executor.GenerateWorld(work); return NodeResult.None;
            case NodeKind.Pretrain: executor.Pretrain(work); return NodeResult.None;
            case NodeKind.Sft: executor.Sft(work); return NodeResult.None;
            case NodeKind.RewardModel: executor.TrainRewardModel(work); return NodeResult.None;
            case NodeKind.Policy: executor.TrainPolicy(work); return NodeResult.None;
            case NodeKind.RmEvaluation: return NodeResult.RewardModelEvaluation(executor.EvaluateRewardModel(work));
            case NodeKind.BestOfN: return NodeResult.Evaluation(executor.BestOfN(work));
            case NodeKind.Evaluation: return NodeResult.Evaluation(executor.Evaluate(work));
            default: throw new ArgumentOutOfRangeException(nameof(work), work.Kind, "unknown node kind");
        }
    }

    static void Validate(LabNode node, NodeResult result)
    {
        if (node.Kind.ProducesEvaluation())
        {
            var items = result.Items ?? [];
            if (items.Count == 0) throw new InvalidDataException("the evaluation returned no item scores");
            var seen = new HashSet<(string, string)>();
            foreach (var item in items)
            {
                if (!double.IsFinite(item.Score)) throw new InvalidDataException($"item {item.Category}/{item.ItemId} scored {item.Score}");
                if (!seen.Add((item.Category, item.ItemId))) throw new InvalidDataException($"item {item.Category}/{item.ItemId} was scored twice");
            }
        }
        if (node.Kind == NodeKind.RmEvaluation)
        {
            var verdicts = result.Verdicts ?? [];
            if (verdicts.Count == 0) throw new InvalidDataException("the reward-model evaluation returned no verdicts");
            var seen = new HashSet<(string, string)>();
            foreach (var verdict in verdicts)
            {
                if (!(verdict.Correct is >= 0 and <= 1) || verdict.GoldAgreement is < 0 or > 1 || verdict.GoldAgreement is double g && !double.IsFinite(g))
                    throw new InvalidDataException($"pair {verdict.Subset}/{verdict.ItemId}: verdicts must lie in 0..1");
                if (!seen.Add((verdict.Subset, verdict.ItemId))) throw new InvalidDataException($"pair {verdict.Subset}/{verdict.ItemId} was judged twice");
            }
        }
    }

    static void WriteNodeFile(LabNode node, string output)
    {
        var inputs = new JsonObject();
        foreach (var input in node.Inputs)
            inputs[input.Role] = input.NodeId is not null ? $"node:{input.NodeId}" : input.ExternalPath;
        var obj = new JsonObject
        {
            ["id"] = node.Id,
            ["kind"] = node.Kind.Name(),
            ["label"] = node.Label,
            ["settings"] = node.Settings.ToJsonObject(),
            ["inputs"] = inputs,
        };
        AtomicFile.WriteAllText(Path.Combine(output, "lab-node.json"), obj.ToJsonString(JsonOptions.Indented) + "\n");
    }

    sealed class SilentProgress : IProgressTask
    {
        public static readonly SilentProgress Instance = new();
        public void Advance(long amount = 1) { }
        public void SetPosition(long position) { }
        public void SetStatus(string status) { }
        public void Dispose() { }
    }
}
