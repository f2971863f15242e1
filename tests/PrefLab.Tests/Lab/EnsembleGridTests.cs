using System.Text.Json.Nodes;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Report;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>A <c>reward_model</c> level that is an ensemble of other levels: reading, validation, expansion, planning.</summary>
public class EnsembleGridTests
{
    /// <summary>The study with a third reward-model level combining the other two (weights 1 and 3).</summary>
    public static readonly string StudyWithEnsemble = LabGrids.Study.Replace(
        "  rm-large: { preset: large, data: good }\n",
        "  rm-large: { preset: large, data: good }\n  both: { ensemble: [rm-small, rm-large], combine: weights, weights: [1, 3] }\n");

    static LabPlan Plan(string path) => LabPlanner.Build(GridFile.Load(path), new ContentHasher(), _ => "fake-1");

    [Fact]
    public void An_ensemble_level_reads_its_members_combiner_and_weights()
    {
        using var dir = new TempDir();
        var grid = GridFile.Load(LabGrids.Write(dir, StudyWithEnsemble));
        Assert.Equal(["rm-small", "rm-large", "both"], grid.RewardModels.Select(r => r.Name));
        var both = grid.RewardModels[2].Ensemble!;
        Assert.Equal(["rm-small", "rm-large"], both.Members);
        Assert.Equal("weights", both.Combine);
        Assert.Equal([1.0, 3.0], both.Weights!);
        Assert.Null(grid.RewardModels[0].Ensemble);

        // mean is the default combiner, and a member may be written after the ensemble.
        var later = GridFile.Load(LabGrids.Write(dir, LabGrids.Study.Replace("  rm-small: {}\n", "  both: { ensemble: [rm-small, rm-large] }\n  rm-small: {}\n"), "later.yaml"));
        var mean = later.RewardModels.Single(r => r.Name == "both").Ensemble!;
        Assert.Equal(("mean", null), (mean.Combine, mean.Weights));
    }

    [Fact]
    public void Ensemble_runs_take_their_members_reward_model_nodes_and_pass_the_rule_on()
    {
        using var dir = new TempDir();
        var plain = Plan(LabGrids.Write(dir, LabGrids.Study));
        var plan = Plan(LabGrids.Write(dir, StudyWithEnsemble, "ensemble.yaml"));

        // No reward model is trained twice: the ensemble's members are the nodes the members' own runs have.
        Assert.Equal(plain.CountOf(NodeKind.RewardModel), plan.CountOf(NodeKind.RewardModel));
        Assert.Equal(plain.CountOf(NodeKind.Pretrain), plan.CountOf(NodeKind.Pretrain));
        Assert.Equal(plain.CountOf(NodeKind.Sft), plan.CountOf(NodeKind.Sft));
        // Every node of the grid without the ensemble is still there, with its id.
        Assert.Empty(plain.Nodes.Select(n => n.Id).Except(plan.Nodes.Select(n => n.Id)));

        var ppo = plan.Runs.Where(r => r.Run.Type == AlgorithmType.Ppo && r.Run.Labels.RewardModel == "both" && r.Run.Seed == 1).ToList();
        // rm-small is trained on each run's dataset, rm-large on good: the ensemble's data label joins theirs.
        Assert.Equal(["noisy+good", "good"], ppo.Select(r => r.Run.Labels.Data).Distinct());
        Assert.All(ppo, r => Assert.Null(r.RewardModelNode));
        var run = ppo.First(r => r.Run.Labels.Data == "noisy+good" && r.Run.Labels.Prompts == "mixed");
        var policy = plan.Node(run.PolicyNode!);
        Assert.Equal("""{"algorithm":"ppo","ensemble":"weights","ensemble-weights":[1,3],"kl-coef":0.05,"lr":1E-06,"max-steps":6,"prompts":"world:mixed","seed":1}""",
            policy.Settings.ToCanonicalJson());
        Assert.Equal([InputRoles.Model, "reward_model.0", "reward_model.1", InputRoles.World], policy.Inputs.Select(i => i.Role).Order(StringComparer.Ordinal));
        string MemberNode(string rm, string data) =>
            plan.Runs.First(r => r.Run.Type == AlgorithmType.Ppo && r.Run.Labels.RewardModel == rm && r.Run.Labels.Data == data).RewardModelNode!;
        Assert.Equal(MemberNode("rm-small", "noisy"), policy.Inputs.Single(i => i.Role == "reward_model.0").NodeId);
        Assert.Equal(MemberNode("rm-large", "good"), policy.Inputs.Single(i => i.Role == "reward_model.1").NodeId);

        // The ensemble has its own RM evaluation over both members; best-of-N picks with the same rule.
        var rmEval = plan.Node(run.RmEvaluationNode!);
        Assert.Equal("""{"ensemble":"weights","ensemble-weights":[1,3],"suite":"world"}""", rmEval.Settings.ToCanonicalJson());
        Assert.Equal(policy.Inputs.Where(i => i.Role.StartsWith("reward_model.", StringComparison.Ordinal)).Select(i => i.NodeId),
            rmEval.Inputs.Where(i => i.Role.StartsWith("reward_model.", StringComparison.Ordinal)).OrderBy(i => i.Role, StringComparer.Ordinal).Select(i => i.NodeId));
        var bon = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.BestOfN && r.Run.Labels.RewardModel == "both").ResultNode);
        Assert.Equal("""{"algorithm":"best-of-n","ensemble":"weights","ensemble-weights":[1,3],"n":4,"seed":1,"suite":"world"}""", bon.Settings.ToCanonicalJson());
        // 3 seeds x 2 data labels x (ppo with 2 prompt sets + best-of-N) more runs, each with its own result node.
        Assert.Equal(plain.Runs.Count + 3 * 2 * 3, plan.Runs.Count);
    }

    [Fact]
    public void The_combiner_enters_the_ids_of_the_nodes_that_use_it_and_nothing_upstream()
    {
        using var dir = new TempDir();
        var weights = Plan(LabGrids.Write(dir, StudyWithEnsemble));
        var min = Plan(LabGrids.Write(dir, StudyWithEnsemble.Replace("combine: weights, weights: [1, 3]", "combine: min"), "min.yaml"));
        var before = weights.Nodes.Select(n => n.Id).ToHashSet();
        var changed = min.Nodes.Where(n => !before.Contains(n.Id)).ToList();
        Assert.Equal([NodeKind.RmEvaluation, NodeKind.Policy, NodeKind.BestOfN, NodeKind.Evaluation], changed.Select(n => n.Kind).Distinct().Order());
        Assert.All(changed.Where(n => n.Kind != NodeKind.Evaluation), n => Assert.Equal("min", n.Settings.GetString("ensemble")));
    }

    [Fact]
    public void Adding_an_ensemble_to_a_lab_trains_no_reward_model_again_and_the_report_shows_it_as_a_level()
    {
        using var dir = new TempDir();
        var executor = new FakeExecutor();
        var first = LabRunner.Run(LabGrids.Write(dir, LabGrids.Study), dir.File("lab"), executor, LabGrids.Quiet());
        Assert.True(first.Complete);
        int trained = executor.Calls[NodeKind.RewardModel];

        var second = LabRunner.Run(LabGrids.Write(dir, StudyWithEnsemble, "ensemble.yaml"), dir.File("lab"), executor, LabGrids.Quiet());
        Assert.True(second.Complete);
        Assert.Equal(first.Plan.Nodes.Count, second.Reused);
        Assert.Equal(trained, executor.Calls[NodeKind.RewardModel]);

        var report = LabReport.Write(dir.File("lab"), LabGrids.FastReport());
        Assert.Contains(report.Instrument.RewardModels, r => r.RewardModel == "both" && r.Dataset == "noisy+good");
        Assert.Contains(report.Instrument.Uplifts, u => u.Algorithm == "ppo" && u.RewardModel == "both");
        string text = File.ReadAllText(dir.File("lab/report.md"));
        Assert.Contains("| both on noisy+good |", text);
    }

    public static TheoryData<string, int, string> Errors => new()
    {
        // (the ensemble level written into the study, the line of the error, the field and text)
        { "{ ensemble: [rm-small, rm-huge] }", 16, "field 'reward_model.both.ensemble': 'rm-huge' is not a level of reward_model (rm-small, rm-large, both)" },
        { "{ ensemble: [rm-small, gold] }", 16, "field 'reward_model.both.ensemble': 'gold' is the World's gold scorer, not a trained reward model" },
        { "{ ensemble: [rm-small, both] }", 16, "field 'reward_model.both.ensemble': 'both' is itself an ensemble; ensembles do not nest" },
        { "{ ensemble: [rm-small, rm-large], combine: weights, weights: [1, 2, 3] }", 16, "field 'reward_model.both.weights': gives 3 weights for 2 members" },
        { "{ ensemble: [rm-small, rm-large], combine: weights }", 16, "field 'reward_model.both.weights': missing: `combine: weights` needs one weight per member (2)" },
        { "{ ensemble: [rm-small, rm-large], weights: [1, 2] }", 16, "field 'reward_model.both.weights': applies only with `combine: weights`, not `combine: mean`" },
        { "{ ensemble: [rm-small, rm-large], combine: weights, weights: [1, -2] }", 16, "field 'reward_model.both.weights': weight 2 is -2; weights must be non-negative" },
        { "{ ensemble: [rm-small, rm-large], combine: weights, weights: [1, .nan] }", 16, "field 'reward_model.both.weights': '.nan' is not a finite number" },
        { "{ ensemble: [rm-small, rm-large], combine: weights, weights: [0, 0] }", 16, "field 'reward_model.both.weights': are all zero" },
        { "{ ensemble: [rm-small, rm-large], combine: median }", 16, "field 'reward_model.both.combine': 'median' is not a combiner (mean, min, weights)" },
        { "{ ensemble: [rm-small, rm-large], lr: 1.0e-5 }", 16, "field 'reward_model.both.lr': an ensemble combines other reward_model levels" },
        { "{ ensemble: [rm-small] }", 16, "field 'reward_model.both.ensemble': an ensemble combines two or more reward_model levels (1 given)" },
        { "{ ensemble: [rm-small, rm-small] }", 16, "field 'reward_model.both.ensemble': 'rm-small' appears twice" },
        { "{ ensemble: rm-small }", 16, "field 'reward_model.both.ensemble': expected a list of reward_model levels" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Ensemble_errors_name_the_file_line_and_field(string level, int line, string expected)
    {
        using var dir = new TempDir();
        string text = LabGrids.Study.Replace("  rm-large: { preset: large, data: good }\n",
            $"  rm-large: {{ preset: large, data: good }}\n  both: {level}\n" + (level.Contains("gold", StringComparison.Ordinal) ? "  gold: { gold: true }\n" : ""));
        string path = LabGrids.Write(dir, text);
        var error = Assert.Throws<UserError>(() => GridFile.Load(path));
        Assert.StartsWith($"{path}:{line}: {expected}", error.Message);
    }

    [Fact]
    public void The_lab_sets_the_ensemble_options_itself()
    {
        using var dir = new TempDir();
        string path = LabGrids.Write(dir, LabGrids.Study.Replace("  ppo: {}", "  ppo: { ensemble: min }"));
        var error = Assert.Throws<UserError>(() => GridFile.Load(path));
        Assert.Contains("field 'algorithm.ppo.ensemble': 'ensemble' is set by the lab", error.Message);
    }

    [Fact]
    public void An_ensemble_of_members_with_their_own_data_needs_no_data_factor_and_crosses_no_dataset()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.jsonl"), "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n");
        File.WriteAllText(dir.File("b.jsonl"), "{\"prompt\":\"x\",\"chosen\":\"y\",\"rejected\":\"z\"}\n");
        Directory.CreateDirectory(dir.File("sft-model"));
        File.WriteAllText(dir.File("sft-model/config.json"), "{}");
        File.WriteAllText(dir.File("prompts.jsonl"), "{\"prompt\":\"p\"}\n");
        var plan = Plan(LabGrids.Write(dir, """
            sft: { model: sft-model }
            algorithm: [ppo]
            reward_model:
              a: { data: a.jsonl }
              b: { data: b.jsonl, seed: 2 }
              ab: { ensemble: [a, b], combine: min }
            prompts: { p: prompts.jsonl }
            evaluation: { suite: a.jsonl }
            """));
        Assert.Equal(["a", "b", "ab"], plan.Runs.Select(r => r.Run.Labels.RewardModel));
        Assert.Equal(["a:data", "b:data", "a:data+b:data"], plan.Runs.Select(r => r.Run.Labels.Data));
        Assert.Equal(2, plan.CountOf(NodeKind.RewardModel));
        var ensemble = plan.Node(plan.Runs[2].PolicyNode!);
        Assert.Equal([plan.Runs[0].RewardModelNode, plan.Runs[1].RewardModelNode],
            ensemble.Inputs.Where(i => i.Role.StartsWith("reward_model.", StringComparison.Ordinal)).OrderBy(i => i.Role, StringComparer.Ordinal).Select(i => i.NodeId));
        Assert.Null(ensemble.Settings["ensemble-weights"] as JsonArray);
    }
}
