using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;

namespace PrefLab.Lab.Execution;

/// <summary>Starts one node of a grid in a child process (the CLI starts <c>preflab lab node</c>), for
/// <see cref="LabRunOptions.Jobs"/> above 1.</summary>
public interface INodeProcessLauncher
{
    /// <summary>The process that runs node <paramref name="nodeId"/> of <paramref name="gridPath"/> into
    /// <paramref name="labDir"/> with <paramref name="threads"/> LibTorch threads (<see cref="LabRunner.RunNode"/>).</summary>
    ProcessStartInfo StartInfo(string gridPath, string labDir, string nodeId, bool resume, int threads);
}

public static partial class LabRunner
{
    /// <summary>The last line a node's child process prints: its model FLOPs, for the lab's utilisation.</summary>
    public const string ChildResultPrefix = "lab-node-result ";

    /// <summary>
    /// The child process's side of <see cref="LabRunOptions.Jobs"/>: plans <paramref name="gridPath"/> (the same ids as
    /// the parent's), runs node <paramref name="nodeId"/> into its folder of <paramref name="labDir"/> and writes its
    /// result file; the parent, which holds the lab's lock and store, records it. A LibTorch failure inside a native
    /// call is retried once, resuming, as in the parent. Returns the node's model FLOPs.
    /// </summary>
    public static long RunNode(string gridPath, string labDir, string nodeId, bool resume, ILabExecutor executor)
    {
        var grid = Grid.GridFile.Load(gridPath);
        var folder = new LabFolder(labDir);
        var plan = LabPlanner.Build(grid, new ContentHasher(), executor.Fingerprint);
        var node = plan.Nodes.FirstOrDefault(n => n.Id == nodeId)
            ?? throw new UserError($"{gridPath}: the grid has no node {nodeId} (was the grid edited since the lab run started?)");
        string output = folder.NodeFolder(node.Folder);
        if (!Directory.Exists(output)) throw new UserError($"{output}: the node's folder does not exist; `lab node` runs only nodes a lab run started");
        var inputs = NodeInputs(plan, folder, node);
        ProgressReporter.Quiet = true;
        long flopsBefore = Models.ModelFlops.OnThisThread;
        NodeResult result;
        try
        {
            result = Dispatch(executor, new NodeWork(node, output, inputs, resume));
        }
        catch (ExternalException)
        {
            // See Queue.Execute: a LibTorch failure that is not the node's; once more, from its last checkpoint.
            result = Dispatch(executor, new NodeWork(node, output, inputs, resume: true));
        }
        Validate(node, result);
        ResultFile.Write(output, node.Id, node.Kind.Name(), result);
        return Models.ModelFlops.OnThisThread - flopsBefore;
    }

    /// <summary>The nodes every run of a grid shares and waits for; they run in the parent, one at a time, with all its
    /// threads, so that a parallel lab run spends its parallelism on the fan-out after them.</summary>
    static bool RunsInParent(NodeKind kind) => kind is NodeKind.World or NodeKind.Pretrain or NodeKind.Sft;

    sealed partial class Queue
    {
        sealed class Child(LabNode node, string prefix, string output, Process process)
        {
            public LabNode Node { get; } = node;
            public string Prefix { get; } = prefix;
            public string Output { get; } = output;
            public Process Process { get; } = process;
            public Stopwatch Clock { get; } = Stopwatch.StartNew();
            public Queue<string> Stderr { get; } = new();
            public string? LastStdout { get; set; }
        }

        /// <summary>Up to <see cref="LabRunOptions.Jobs"/> child processes at once: any node whose inputs are finished
        /// starts when a slot is free, earliest in plan order first; a trunk node (<see cref="RunsInParent"/>) that is
        /// ready stops new children from starting, waits for the running ones, then runs here. Which node runs where
        /// depends only on its kind, so the results do not depend on the order nodes happen to finish in.</summary>
        public void RunAllInParallel()
        {
            var launcher = options.Launcher ?? throw new InvalidOperationException("LabRunOptions.Jobs above 1 needs a Launcher");
            int childThreads = Math.Max(1, TorchRuntime.Threads / options.Jobs);
            int total = plan.Nodes.Count;
            using var progress = options.ShowProgress ? ProgressReporter.Start($"lab {plan.Grid.Name}", total, "node") : SilentProgress.Instance;
            var position = plan.Nodes.Select((n, i) => (n.Id, i + 1)).ToDictionary(p => p.Id, p => p.Item2, StringComparer.Ordinal);
            var pending = plan.Nodes.ToList();
            var finished = new HashSet<string>(StringComparer.Ordinal);
            var running = new List<Child>();
            string Prefix(LabNode node) => $"[{position[node.Id]}/{total}] {node.Kind.Name()} {node.Label} ({node.Id})";
            try
            {
                while (pending.Count > 0 || running.Count > 0)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    // A ready trunk node goes first: no child starts until the running ones end and it has run.
                    var trunk = pending.FirstOrDefault(n => RunsInParent(n.Kind) && n.UpstreamIds.All(finished.Contains));
                    var ready = trunk is not null ? (running.Count == 0 ? trunk : null)
                        : pending.FirstOrDefault(n => n.UpstreamIds.All(finished.Contains)
                            && (running.Count < options.Jobs || n.UpstreamIds.Any(unusable.Contains) || IsReusable(n)));
                    if (ready is null)
                    {
                        if (running.Count == 0) throw new InvalidOperationException("lab: no node is ready and none is running: the plan is not a DAG");
                        finished.Add(WaitForOne(running, progress));
                        continue;
                    }
                    pending.Remove(ready);
                    string prefix = Prefix(ready);
                    if (ready.UpstreamIds.FirstOrDefault(unusable.Contains) is { } blocker)
                    {
                        unusable.Add(ready.Id);
                        Blocked++;
                        options.Log?.WriteLine($"lab: {prefix}: not run: input {blocker} failed");
                    }
                    else if (TryReuse(ready, prefix)) Reused++;
                    else if (RunsInParent(ready.Kind))
                    {
                        progress.SetStatus($"{ready.Kind.Name()} {ready.Label}");
                        Execute(ready, prefix, progress);
                    }
                    else
                    {
                        var (output, resume) = Start(ready, prefix);
                        running.Add(Launch(launcher, ready, prefix, output, resume, childThreads));
                        progress.SetStatus(string.Join(" · ", running.Select(c => $"{c.Node.Kind.Name()} {c.Node.Label}")));
                        continue; // finished when its process exits
                    }
                    finished.Add(ready.Id);
                    progress.Advance();
                }
            }
            finally
            {
                // Stopped (Ctrl+C, or a failure without --keep-going): the children still running are ended and left
                // running in the store, so the next run resumes them from their last checkpoints.
                foreach (var child in running) Stop(child);
            }
        }

        /// <summary>Done in the store with its result in its folder (reused without running).</summary>
        bool IsReusable(LabNode node) =>
            store.Node(node.Id)!.Status == NodeStatus.Done && ResultFile.Read(folder.NodeFolder(node.Folder), node.Id) is not null;

        Child Launch(INodeProcessLauncher launcher, LabNode node, string prefix, string output, bool resume, int threads)
        {
            var start = launcher.StartInfo(gridPath, folder.Root, node.Id, resume, threads);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.UseShellExecute = false;
            var process = new Process { StartInfo = start };
            var child = new Child(node, prefix, output, process);
            process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) lock (child) child.LastStdout = line; };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (child)
                {
                    child.Stderr.Enqueue(e.Data);
                    if (child.Stderr.Count > 20) child.Stderr.Dequeue();
                }
            };
            if (!process.Start()) throw new InvalidOperationException($"could not start {start.FileName} for node {node.Id}");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        /// <summary>Waits until one of <paramref name="running"/> exits, records it (done or failed) and returns its id.</summary>
        string WaitForOne(List<Child> running, IProgressTask progress)
        {
            while (true)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                if (running.FirstOrDefault(c => c.Process.HasExited) is { } child)
                {
                    child.Process.WaitForExit(); // drains the redirected output
                    running.Remove(child);
                    progress.Advance();
                    Finish(child);
                    return child.Node.Id;
                }
                Thread.Sleep(20);
            }
        }

        void Finish(Child child)
        {
            var node = child.Node;
            double seconds = child.Clock.Elapsed.TotalSeconds;
            int exit = child.Process.ExitCode;
            string? last;
            string[] stderr;
            lock (child)
            {
                last = child.LastStdout;
                stderr = [.. child.Stderr];
            }
            child.Process.Dispose();
            var result = exit == 0 ? ResultFile.Read(child.Output, node.Id) : null;
            if (result is not null && last is not null && last.StartsWith(ChildResultPrefix, StringComparison.Ordinal))
            {
                var line = JsonNode.Parse(last[ChildResultPrefix.Length..])!;
                Done(node, child.Prefix, child.Output, result, seconds, line["model_flops"]!.GetValue<long>());
                return;
            }
            // The child's own error line ("preflab: error: ..."), else its exit code and the end of what it printed.
            // ("preflab: error: MESSAGE" as the sequential run's cause is MESSAGE; "preflab: internal error: ..." is kept whole.)
            string cause = stderr.LastOrDefault(l => l.StartsWith("preflab: ", StringComparison.Ordinal)) is { } error
                ? StripPrefix(StripPrefix(error, "preflab: "), "error: ")
                : $"its process exited with code {exit}" + (stderr.Length > 0 ? ": " + string.Join(" | ", stderr.TakeLast(3)) : "");
            var failure = new InvalidOperationException(cause);
            if (Fail(node, child.Prefix, child.Output, cause, seconds, failure) is { } stop) throw stop;
        }

        static string StripPrefix(string text, string prefix) => text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;

        void Stop(Child child)
        {
            try
            {
                if (!child.Process.HasExited) child.Process.Kill(entireProcessTree: true);
                child.Process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // it had already gone
            }
            store.MarkInterrupted(child.Node.Id, child.Clock.Elapsed.TotalSeconds);
            options.Log?.WriteLine($"lab: {child.Prefix}: interrupted; the next run resumes it");
            child.Process.Dispose();
        }
    }
}

/// <summary>Starts `preflab lab node` for a node of a parallel lab run: this process's own executable (the apphost,
/// or `dotnet` with the CLI's assembly), or <paramref name="cliPath"/> when given (tests name the built CLI).</summary>
public sealed class PreflabNodeLauncher(string? cliPath = null) : INodeProcessLauncher
{
    public ProcessStartInfo StartInfo(string gridPath, string labDir, string nodeId, bool resume, int threads)
    {
        string program = cliPath ?? Environment.ProcessPath ?? throw new InvalidOperationException("no process path to start a lab node with");
        var start = new ProcessStartInfo(program);
        if (cliPath is null && Path.GetFileNameWithoutExtension(program) == "dotnet")
            start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("no entry assembly"));
        foreach (string arg in new[] { "--threads", threads.ToString(CultureInfo.InvariantCulture), "lab", "node", gridPath, "--output", labDir, "--node", nodeId })
            start.ArgumentList.Add(arg);
        if (resume) start.ArgumentList.Add("--resume");
        // A lab run under mpirun is refused; a child must not believe it is one rank of a job either.
        foreach (string name in new[] { "PMI_RANK", "PMI_SIZE", "PMI_FD", "MPI_LOCALRANKID", "MPI_LOCALNRANKS" }) start.Environment.Remove(name);
        return start;
    }
}
