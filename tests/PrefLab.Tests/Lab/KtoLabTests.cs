using PrefLab.Lab;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Runtime;
using PrefLab.Lab.Execution;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>KTO as a lab algorithm beside DPO: grid parsing with a <c>fixed: kto:</c> section, planning, and the real
/// executor running <c>preflab kto</c>.</summary>
public class KtoLabTests
{
    const string PlanGrid = """
        name: kto-plan
        world: { seed: 7 }
        pretrain: { preset: tiny, data: world:pretrain, max-steps: 3 }
        sft: { data: world:sft, max-steps: 3 }
        data:
          good: world:good
          noisy: world:noisy
        algorithm:
          dpo: { beta: 0.1 }
          kto: { beta: 0.2 }
          kto-heavy: { type: kto, undesirable-weight: 1.5 }
          ppo: {}
        reward_model:
          rm: {}
        prompts:
          mixed: world:mixed
          other: world:reasoning
        fixed:
          dpo: { lr: 1.0e-6 }
          kto: { lr: 5.0e-6, desirable-weight: 1.0 }
        seeds: [1]
        """;

    [Fact]
    public void Kto_levels_learn_from_the_data_factor_with_their_own_fixed_section()
    {
        using var dir = new TempDir();
        var grid = GridFile.Load(LabGrids.Write(dir, PlanGrid));
        Assert.Equal([AlgorithmType.Dpo, AlgorithmType.Kto, AlgorithmType.Kto, AlgorithmType.Ppo], grid.Algorithms.Select(a => a.Type));
        var plan = LabPlanner.Build(grid, new ContentHasher(), _ => "fake-1");
        var kto = plan.Runs.Where(r => r.Run.Type == AlgorithmType.Kto).ToList();
        // Like DPO: one run per dataset, never duplicated across reward models or prompt sets.
        Assert.Equal(4, kto.Count);
        Assert.All(kto, r => Assert.Null(r.Run.Labels.RewardModel));
        Assert.All(kto, r => Assert.Null(r.Run.Labels.Prompts));
        Assert.Null(kto[0].RewardModelNode);
        var node = plan.Node(kto.First(r => r.Run.Labels.Algorithm == "kto" && r.Run.Labels.Data == "good").PolicyNode!);
        Assert.Equal("""{"algorithm":"kto","beta":0.2,"data":"world:good","desirable-weight":1,"lr":5E-06,"seed":1}""", node.Settings.ToCanonicalJson());
        var heavy = plan.Node(kto.First(r => r.Run.Labels.Algorithm == "kto-heavy").PolicyNode!);
        Assert.Equal(1.5, heavy.Settings.GetDouble("undesirable-weight"));
        Assert.Equal(5e-6, heavy.Settings.GetDouble("lr"));
        var dpo = plan.Node(plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo).PolicyNode!);
        Assert.Equal(1e-6, dpo.Settings.GetDouble("lr"));
        Assert.False(dpo.Settings.Contains("desirable-weight"));
        // KTO and DPO share the SFT model.
        Assert.Single(plan.Runs.Where(r => r.Run.Type is AlgorithmType.Dpo or AlgorithmType.Kto).Select(r => r.SftNode).Distinct());
    }

    [Fact]
    public void A_kto_level_without_data_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, """
            name: no-data
            world: { seed: 7 }
            pretrain: { preset: tiny, data: world:pretrain, max-steps: 3 }
            sft: { data: world:sft, max-steps: 3 }
            algorithm: [kto]
            seeds: [1]
            """)));
        Assert.Contains("field 'algorithm.kto': kto learns from preference data", error.Message);
    }

    const string RealGrid = """
        name: tiny-kto
        world: { seed: 3, scale: small }
        pretrain: { preset: tiny-test, data: world:pretrain, max-steps: 2, max-length: 64 }
        sft: { data: world:sft, max-steps: 2, max-length: 64 }
        data:
          pairs: world:pairwise
        algorithm:
          dpo: {}
          kto: {}
          sft: {}
        fixed:
          dpo: { max-steps: 2, max-length: 64 }
          kto: { max-steps: 2, max-length: 64, desirable-weight: 1.0 }
        evaluation: { suite: world, limit: 1, max-new-tokens: 4 }
        seeds: [1]
        """;

    [Fact]
    public void The_real_executor_runs_preflab_kto_beside_dpo_and_the_report_counts_it_as_offline()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, RealGrid);
        var (exit, output, error) = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"));
        Assert.True(exit == 0, output + error);
        Assert.Contains("Grid tiny-kto: 3 runs, 8 nodes: 8 run (0 resumed), 0 reused, 0 failed, 0 not run", output);
        using (var store = LabStore.Open(new LabFolder(dir.File("lab")).StorePath))
        {
            var kto = store.Nodes().Single(n => n.Kind == "policy" && n.Label.StartsWith("kto", StringComparison.Ordinal));
            string folder = dir.File($"lab/work/policy/{kto.Id}");
            Assert.StartsWith("$ preflab kto --model ", File.ReadAllText(Path.Combine(folder, LabExecutor.LogFile)));
            Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
            var utilisation = PrefLab.Lab.Report.UtilisationFigures.Compute(store);
            Assert.Contains(utilisation.Stages, s => s.Stage == "kto");
        }
        var instrument = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport()).Instrument;
        Assert.Equal(["dpo", "kto"], instrument.Uplifts.Select(u => u.Algorithm));
        var data = instrument.Questions.Single(q => q.Question == "data");
        Assert.Contains("DPO/KTO", data.Why);
    }
}
