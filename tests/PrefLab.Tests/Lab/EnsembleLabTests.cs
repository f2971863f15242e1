using System.Text.Json.Nodes;
using PrefLab.Cli.Lab;
using PrefLab.Lab;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Store;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>A reward-model ensemble in a lab grid, with the real executor at the tiny size of <see cref="LabExecutorTests"/>.</summary>
public class EnsembleLabTests
{
    /// <summary>Two reward models (the second differs by its seed) and their weighted ensemble; best-of-2 with each of
    /// the three, PPO with the ensemble only: 4 runs, 13 nodes.</summary>
    public const string EnsembleGrid = """
        name: tiny-ensemble
        world: { seed: 3, scale: small }
        pretrain: { preset: tiny-test, data: world:pretrain, max-steps: 2, max-length: 64 }
        sft: { data: world:sft, max-steps: 2, max-length: 64 }
        data:
          uf: { file: world:ultrafeedback, binarize: mean-aspects }
        algorithm:
          ppo: { max-new-tokens: 4, rollout-batch-size: 4, total-episodes: 8 }
          bon2: { type: best-of-n, n: 2 }
        reward_model:
          a: { max-steps: 2, max-length: 64 }
          b: { max-steps: 2, max-length: 64, seed: 2 }
          both: { ensemble: [a, b], combine: weights, weights: [1, 3] }
        prompts:
          mixed: world:mixed
        evaluation: { suite: world, limit: 2, max-new-tokens: 4 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1]
        exclude:
          - { algorithm: ppo, reward_model: [a, b] }
        """;

    [Fact]
    public void Ppo_and_best_of_n_use_a_two_member_ensemble_whose_members_are_trained_once()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, EnsembleGrid);
        var (exit, output, error) = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"));
        Assert.True(exit == 0, output + error);
        Assert.Contains("Grid tiny-ensemble: 4 runs, 13 nodes: 13 run (0 resumed), 0 reused, 0 failed, 0 not run", output);

        using var store = LabStore.Open(new LabFolder(dir.File("lab")).StorePath);
        var nodes = store.Nodes();
        var rms = nodes.Where(n => n.Kind == "reward_model").ToList();
        Assert.Equal(2, rms.Count);
        string Folder(string kind, string id) => dir.File($"lab/work/{kind}/{id}");
        var memberFolders = new[] { "reward model a", "reward model b" }
            .Select(label => Folder("reward_model", rms.Single(n => n.Label.StartsWith(label, StringComparison.Ordinal)).Id)).ToArray();

        // The PPO node ran the command with both members and the rule, and its run.json states the ensemble.
        var ppo = nodes.Single(n => n.Kind == "policy");
        string ppoFolder = Folder("policy", ppo.Id);
        string log = File.ReadAllText(Path.Combine(ppoFolder, LabExecutor.LogFile));
        Assert.Contains($"--reward-model {memberFolders[0]} --reward-model {memberFolders[1]} --ensemble weights --ensemble-weights 1,3", log);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(ppoFolder, "run.json")))!;
        Assert.Equal(memberFolders, run["options"]!["reward-model"]!.AsArray().Select(f => f!.GetValue<string>()));
        var reward = run["reward"]!;
        Assert.Equal("reward_model_ensemble", reward["kind"]!.GetValue<string>());
        Assert.Equal("weights", reward["ensemble"]!["combiner"]!.GetValue<string>());
        Assert.Equal([0.25, 0.75], reward["ensemble"]!["weights_normalized"]!.AsArray().Select(w => w!.GetValue<double>()));
        Assert.All(reward["members"]!.AsArray(), m => Assert.True(m!["normalization"]!["applied"]!.GetValue<bool>()));
        Assert.NotEmpty(store.Metric(ppo.Id, "objective/scores/member_1"));

        // Best-of-N with the ensemble scored the same items as with each member, and says which ensemble picked.
        var bon = nodes.Where(n => n.Kind == "best_of_n").ToList();
        Assert.Equal(3, bon.Count);
        Assert.All(bon, n => Assert.Equal(14, store.EvaluationItems(n.Id).Count));
        var bonBoth = bon.Single(n => n.Label.Contains("rm both", StringComparison.Ordinal));
        var judge = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("best_of_n", bonBoth.Id), BestOfNNode.JudgeFile)))!;
        Assert.Equal("weights", judge["ensemble"]!["combiner"]!.GetValue<string>());
        Assert.Equal(memberFolders, judge["ensemble"]!["members"]!.AsArray().Select(m => m!["folder"]!.GetValue<string>()));

        // The ensemble's RM evaluation reports the ensemble, on the same held-out pairs as its members' own nodes.
        var rmEvals = store.CompletedRuns("tiny-ensemble").Where(r => r.RmEvaluationNode is not null)
            .GroupBy(r => r.Labels.RewardModel!).ToDictionary(g => g.Key, g => g.First().RmEvaluationNode!);
        Assert.Equal(["a", "b", "both"], rmEvals.Keys.Order());
        var ensembleVerdicts = store.RewardModelVerdicts(rmEvals["both"]);
        Assert.Equal(store.RewardModelVerdicts(rmEvals["a"]).Select(v => (v.Subset, v.ItemId)).Order(), ensembleVerdicts.Select(v => (v.Subset, v.ItemId)).Order());
        Assert.All(ensembleVerdicts, v => Assert.Equal(v.Correct, v.GoldAgreement));
        var rmEvalJson = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("rm_evaluation", rmEvals["both"]), "rm_eval.json")))!;
        Assert.Equal("ensemble-weights", rmEvalJson["ensemble"]!["name"]!.GetValue<string>());

        // The report and the instrument treat the ensemble as a level of reward_model like any other.
        var instrument = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport()).Instrument;
        Assert.Equal(["a on uf", "b on uf", "both on uf"], instrument.RewardModels.Select(r => r.Label));
        Assert.Equal(2, instrument.RewardModelDifferences!.Count(d => d.Second == "both on uf"));
        string report = File.ReadAllText(dir.File("lab/report.md"));
        Assert.Contains("| both", report);

        var again = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"), "--no-report");
        Assert.Equal(0, again.Exit);
        Assert.Contains("0 run (0 resumed), 13 reused", again.Out);
    }
}
