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
