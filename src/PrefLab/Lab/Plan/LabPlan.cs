using PrefLab.Lab.Grid;

namespace PrefLab.Lab.Plan;

/// <summary>
/// A grid run placed in the DAG. <see cref="Id"/> is the id of the node whose scores are the run's result (its
/// evaluation, or its best-of-N node), so the same run in two grids is one run of the lab.
/// <see cref="ConfigKey"/> hashes the resolved settings without the seed: the runs of one configuration share it.
/// </summary>
public sealed record PlannedRun(GridRun Run, string Id, string ConfigKey, string ResultNode, string? PolicyNode,
    string? RewardModelNode, string? RmEvaluationNode, string? SftNode);

/// <summary>A grid expanded to runs and the nodes they need, in an order where every node follows its inputs.</summary>
public sealed class LabPlan(GridSpec grid, IReadOnlyList<PlannedRun> runs, IReadOnlyList<LabNode> nodes)
{
    public GridSpec Grid { get; } = grid;
    public IReadOnlyList<PlannedRun> Runs { get; } = runs;

    /// <summary>Distinct nodes in dependency order (inputs first), each once however many runs share it.</summary>
    public IReadOnlyList<LabNode> Nodes { get; } = nodes;

    public LabNode Node(string id) => Nodes.First(n => n.Id == id);

    public int CountOf(NodeKind kind) => Nodes.Count(n => n.Kind == kind);
}
