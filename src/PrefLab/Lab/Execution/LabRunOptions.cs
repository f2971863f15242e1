using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Runtime;

namespace PrefLab.Lab.Execution;

public sealed record LabRunOptions
{
    /// <summary>Go on past a failed node with every node that does not depend on it (<c>--keep-going</c>); otherwise
    /// the first failure stops the grid.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>Expand, plan and register the grid, then stop without executing (<c>--dry-run</c>).</summary>
    public bool PlanOnly { get; init; }

    /// <summary>Cancel to stop after (or inside) the current node; an interrupted node resumes on the next run.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Where to write one line per node started, finished, skipped or failed (null: nowhere).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>
    /// Nodes run at once (<c>--jobs</c>). Above 1, the trunk every run shares (world, pretraining, SFT) still runs here
    /// with the process's threads, one node at a time; every other node runs in a child process that
    /// <see cref="Launcher"/> starts, with the threads divided among the jobs (at least 1). The rule depends only on
    /// the node's kind, never on timing, so the same grid, jobs and threads give the same numbers every time.
    /// </summary>
    public int Jobs { get; init; } = 1;

    /// <summary>Starts a node in a child process; required when <see cref="Jobs"/> is above 1.</summary>
    public INodeProcessLauncher? Launcher { get; init; }

    /// <summary>Show the queue with <see cref="Runtime.Console.ProgressReporter"/> (nodes done/total and the current node).</summary>
    public bool ShowProgress { get; init; } = true;
}

/// <summary>What a <see cref="LabRunner.Run"/> did.</summary>
public sealed record LabRunSummary(
    LabPlan Plan,
    long GridId,
    int Executed,
    int Reused,
    int Resumed,
    IReadOnlyList<NodeState> Failed,
    int Blocked,
    TimeSpan Elapsed)
{
    /// <summary>The model FLOPs of the nodes this run executed, in this process or in child processes.</summary>
    public long ModelFlops { get; init; }

    /// <summary>Every node of the grid is done.</summary>
    public bool Complete => Failed.Count == 0 && Blocked == 0 && (Executed + Reused) == Plan.Nodes.Count;
}

/// <summary>A node failed and the grid stopped (without <c>--keep-going</c>). The message names the node, its
/// folder and the cause; running the grid again retries the failed node afresh and keeps everything finished.</summary>
public sealed class LabNodeFailedException(string message, LabNode node, string folder, Exception inner) : UserError(message, inner)
{
    public LabNode Node { get; } = node;
    public string Folder { get; } = folder;
}
