using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>
/// Node ids of grids written before reward-model ensembles are pinned: a lab folder (the demo's cache) reuses a node
/// only while its id is unchanged, so a new grid feature must leave the ids of grids that do not use it as they were.
/// The digests were taken from the planner before ensembles existed; the fingerprint is fixed so a version bump of
/// the CLI does not move them.
/// </summary>
public class NodeIdStabilityTests
{
    public static TheoryData<string, string, int, string> Grids => new()
    {
        { "study", LabGrids.Study, 71, "d0e5ca64a1af4a918c0d6a97ec9749d4bfd250afeaa98cfc3f1efe29febaf238" },
        { "documented", LabGrids.DocumentedExample, 115, "b8e31825661e9723badd26f4f0580b12e5129959ba3ff967239a2359573f321f" },
        { "tiny-real", LabExecutorTests.TinyGrid, 11, "cf4f746a17dd37dc4dbdfbd926d207aa57b69b8a17cc4b79b52771bb96632175" },
    };

    [Theory]
    [MemberData(nameof(Grids))]
    public void Node_ids_of_grids_without_ensembles_are_unchanged(string name, string text, int nodes, string digest)
    {
        using var dir = new TempDir();
        var plan = LabPlanner.Build(GridFile.Load(LabGrids.Write(dir, text, name + ".yaml")), new ContentHasher(), _ => "pinned-fingerprint");
        var lines = plan.Nodes.Select(n => $"{n.Kind.Name()} {n.Id}").ToList();
        string actual = ContentHasher.Sha256Hex(string.Join("\n", lines));
        Assert.True(nodes == plan.Nodes.Count && digest == actual,
            $"{name}: {plan.Nodes.Count} nodes, digest {actual}:\n{string.Join("\n", lines)}");
    }
}
