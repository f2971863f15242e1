using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

public class LabPlanTests
{
    static LabPlan Plan(string gridPath, Func<NodeKind, string>? fingerprint = null) =>
        LabPlanner.Build(GridFile.Load(gridPath), new ContentHasher(), fingerprint ?? (_ => "fake-1"));

    [Fact]
    public void Study_shares_upstream_work_between_runs()
    {
        using var dir = new TempDir();
        var plan = Plan(LabGrids.Write(dir, LabGrids.Study));
        Assert.Equal(1, plan.CountOf(NodeKind.World));
        Assert.Equal(2, plan.CountOf(NodeKind.Pretrain));     // tiny (the policy's) and large (rm-large's preset)
        Assert.Equal(2, plan.CountOf(NodeKind.Sft));
        Assert.Equal(3, plan.CountOf(NodeKind.RewardModel));  // rm-small on noisy, rm-small on good, rm-large on good
        Assert.Equal(3, plan.CountOf(NodeKind.RmEvaluation));
        Assert.Equal(24, plan.CountOf(NodeKind.Policy));      // dpo 6 + ppo 18
        Assert.Equal(9, plan.CountOf(NodeKind.BestOfN));
        Assert.Equal(27, plan.CountOf(NodeKind.Evaluation));  // every policy, and the SFT model at 3 seeds
        Assert.Equal(71, plan.Nodes.Count);
        Assert.Equal(36, plan.Runs.Select(r => r.Id).Distinct().Count());
        Assert.Equal(12, plan.Runs.Select(r => r.ConfigKey).Distinct().Count());

        // Inputs come first; every run of the policy's preset shares one SFT node.
        var position = plan.Nodes.Select((n, i) => (n.Id, i)).ToDictionary(p => p.Id, p => p.i);
        Assert.All(plan.Nodes, n => Assert.All(n.UpstreamIds, u => Assert.True(position[u] < position[n.Id])));
        var policySft = plan.Runs.Where(r => r.Run.Type != AlgorithmType.Sft).Select(r => r.SftNode).Distinct().ToList();
        Assert.Single(policySft);
        var largeRm = plan.Nodes.Single(n => n.Kind == NodeKind.RewardModel && n.Settings.GetString("preset") == "large");
        string largeSft = largeRm.Inputs.Single(i => i.Role == InputRoles.Model).NodeId!;
        Assert.NotEqual(policySft[0], largeSft);
        Assert.Equal("large", plan.Node(plan.Node(largeSft).Inputs.Single(i => i.Role == InputRoles.Base).NodeId!).Settings.GetString("preset"));
    }

    [Fact]
    public void Node_settings_use_the_trainers_option_names()
    {
        using var dir = new TempDir();
        var plan = Plan(LabGrids.Write(dir, LabGrids.Study));
        var dpo = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo && r.Run.Labels.Data == "good").PolicyNode!);
        Assert.Equal("""{"algorithm":"dpo","beta":0.1,"binarize":"mean-aspects","data":"world:good","lr":1E-06,"max-steps":6,"seed":1}""",
            dpo.Settings.ToCanonicalJson());
        var ppo = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.Ppo).PolicyNode!);
        Assert.Equal("""{"algorithm":"ppo","kl-coef":0.05,"lr":1E-06,"max-steps":6,"prompts":"world:mixed","seed":1}""", ppo.Settings.ToCanonicalJson());
        Assert.Equal([InputRoles.Model, InputRoles.RewardModel, InputRoles.World], ppo.Inputs.Select(i => i.Role).Order());
        var rm = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.Ppo).RewardModelNode!);
        Assert.Equal("""{"data":"world:noisy","seed":1}""", rm.Settings.ToCanonicalJson());
        var bon = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.BestOfN).ResultNode);
        Assert.Equal("""{"algorithm":"best-of-n","n":4,"seed":1,"suite":"world"}""", bon.Settings.ToCanonicalJson());
    }

    [Fact]
    public void Node_ids_are_stable_and_change_exactly_downstream_of_a_changed_input()
    {
        using var dir = new TempDir();
        var first = Plan(LabGrids.Write(dir, LabGrids.Study));
        var again = Plan(LabGrids.Write(dir, LabGrids.Study, "copy.yaml"));
        Assert.Equal(first.Nodes.Select(n => n.Id), again.Nodes.Select(n => n.Id));

        var sftChanged = Plan(LabGrids.Write(dir, LabGrids.Study.Replace("max_steps: 4", "max_steps: 5"), "sft.yaml"));
        var before = first.Nodes.ToDictionary(n => n.Id);
        var kept = sftChanged.Nodes.Where(n => before.ContainsKey(n.Id)).Select(n => n.Kind).ToList();
        Assert.Equal([NodeKind.World, NodeKind.Pretrain, NodeKind.Pretrain], kept.Order());
        Assert.Equal(first.Nodes.Count, sftChanged.Nodes.Count);

        var newEvaluator = Plan(dir.File("grid.yaml"), kind => kind == NodeKind.Evaluation ? "fake-2" : "fake-1");
        var changedKinds = newEvaluator.Nodes.Where(n => !before.ContainsKey(n.Id)).Select(n => n.Kind).Distinct().ToList();
        Assert.Equal([NodeKind.Evaluation], changedKinds);
    }

    [Fact]
    public void External_files_enter_node_ids_by_content_not_by_path()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sft-model"));
        File.WriteAllText(dir.File("sft-model/config.json"), "{\"layers\": 2}");
        File.WriteAllText(dir.File("prefs.jsonl"), "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n");
        File.WriteAllText(dir.File("other.jsonl"), "{\"prompt\":\"x\",\"chosen\":\"y\",\"rejected\":\"z\"}\n");
        const string grid = """
            sft: { model: sft-model }
            data:
              prefs: prefs.jsonl
              other: other.jsonl
            algorithm: [dpo]
            evaluation: { suite: prefs.jsonl }
            """;
        string path = LabGrids.Write(dir, grid);
        var first = Plan(path);
        Assert.DoesNotContain(first.Nodes, n => n.Kind is NodeKind.Sft or NodeKind.Pretrain or NodeKind.World);
        string DpoOn(LabPlan plan, string data) => plan.Runs.Single(r => r.Run.Labels.Data == data).PolicyNode!;

        // The same bytes under another name: same node.
        File.Copy(dir.File("prefs.jsonl"), dir.File("renamed.jsonl"));
        var renamed = Plan(LabGrids.Write(dir, grid.Replace("prefs: prefs.jsonl", "prefs: renamed.jsonl"), "renamed.yaml"));
        Assert.Equal(DpoOn(first, "prefs"), DpoOn(renamed, "prefs"));

        // Edited content: that dataset's policy changes, the other's does not.
        File.AppendAllText(dir.File("prefs.jsonl"), "{\"prompt\":\"d\",\"chosen\":\"e\",\"rejected\":\"f\"}\n");
        var edited = Plan(path);
        Assert.NotEqual(DpoOn(first, "prefs"), DpoOn(edited, "prefs"));
        Assert.Equal(DpoOn(first, "other"), DpoOn(edited, "other"));

        // An edited file inside the SFT model folder changes every node that starts from it.
        File.WriteAllText(dir.File("sft-model/config.json"), "{\"layers\": 3}");
        var newModel = Plan(path);
        Assert.NotEqual(DpoOn(edited, "other"), DpoOn(newModel, "other"));
    }

    [Fact]
    public void Folder_hashes_cover_names_and_contents_and_ignore_temporary_files()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("m/sub"));
        File.WriteAllText(dir.File("m/a.txt"), "a");
        File.WriteAllText(dir.File("m/sub/b.txt"), "b");
        var hasher = new ContentHasher();
        string hash = hasher.HashFolder(dir.File("m"));
        Assert.Equal(64, hash.Length);
        File.WriteAllText(dir.File("m/.a.txt.tmp-1-abc"), "partial");
        Assert.Equal(hash, hasher.HashFolder(dir.File("m")));
        File.Move(dir.File("m/sub/b.txt"), dir.File("m/sub/c.txt"));
        Assert.NotEqual(hash, hasher.HashFolder(dir.File("m")));
        // SHA-256 of "abc" (FIPS 180-2 test vector).
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ContentHasher.Sha256Hex("abc"));
    }
}
