using System.Text;
using PrefLab.Cli.Lab;
using PrefLab.Lab;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>The lab with its real executor: every node kind runs the real commands, on a tiny model.</summary>
public class LabExecutorTests
{
    /// <summary>Every node kind (world, pretrain, SFT, reward model and its evaluation, DPO, PPO, best-of-N,
    /// evaluation) at the smallest size that still runs each code path: 4 runs, 11 nodes.</summary>
    public const string TinyGrid = """
        name: tiny-real
        world: { seed: 3, scale: small }
        pretrain: { preset: tiny-test, data: world:pretrain, max-steps: 2, max-length: 64 }
        sft: { data: world:sft, max-steps: 2, max-length: 64 }
        data:
          uf: { file: world:ultrafeedback, binarize: mean-aspects }
        algorithm:
          dpo: { max-steps: 2, max-length: 64 }
          ppo: { max-new-tokens: 4, rollout-batch-size: 4, total-episodes: 8, save-every: 1 }
          bon2: { type: best-of-n, n: 2 }
          sft: {}
        reward_model:
          rm: { max-steps: 2, max-length: 64 }
        prompts:
          mixed: world:mixed
        evaluation: { suite: world, limit: 2, max-new-tokens: 4 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1]
        """;

    [Fact]
    public void Lab_run_runs_every_node_kind_reports_and_a_second_run_reuses_everything()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, TinyGrid);
        var (exit, output, error) = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"));
        Assert.True(exit == 0, output + error);
        Assert.Contains("Grid tiny-real: 4 runs, 11 nodes: 11 run (0 resumed), 0 reused, 0 failed, 0 not run", output);
        Assert.Contains($"Report: {dir.File("lab/report.md")} (4 runs", output);

        using (var store = LabStore.Open(new LabFolder(dir.File("lab")).StorePath))
        {
            var runs = store.CompletedRuns("tiny-real");
            Assert.Equal(4, runs.Count);
            var nodes = store.Nodes();
            Assert.All(nodes, n => Assert.Equal(NodeStatus.Done, n.Status));
            // Every evaluation scored the same 2 items a category (7 categories); best-of-N too.
            foreach (var node in nodes.Where(n => n.Kind is "evaluation" or "best_of_n"))
                Assert.Equal(14, store.EvaluationItems(node.Id).Count);
            var rmEval = nodes.Single(n => n.Kind == "rm_evaluation");
            var verdicts = store.RewardModelVerdicts(rmEval.Id);
            Assert.True(verdicts.Count > 50, $"{verdicts.Count} verdicts");
            Assert.All(verdicts, v => Assert.Equal(v.Correct, v.GoldAgreement));
            // Training nodes keep the command they ran, and a Hugging Face model folder.
            var dpo = nodes.Single(n => n.Kind == "policy" && n.Label.StartsWith("dpo", StringComparison.Ordinal));
            string dpoFolder = dir.File($"lab/work/policy/{dpo.Id}");
            Assert.StartsWith("$ preflab dpo --model ", File.ReadAllText(Path.Combine(dpoFolder, LabExecutor.LogFile)));
            Assert.True(File.Exists(Path.Combine(dpoFolder, "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dpoFolder, "lab-node.json")));
            // Every node that ran a model counted its model FLOPs, and the machine's peak was measured for the MFU.
            Assert.All(nodes.Where(n => n.Kind != "world"), n => Assert.True(n.ModelFlops > 0, $"{n.Kind} {n.Label}: {n.ModelFlops}"));
            Assert.True(store.Fp32PeakGflops > 0);
            var utilisation = PrefLab.Lab.Report.UtilisationFigures.Compute(store);
            Assert.Contains(utilisation.Stages, s => s.Stage == "dpo" && s.Mfu is > 0 and < 1);
        }
        string report = File.ReadAllText(dir.File("lab/report.md"));
        Assert.Contains("| algorithm |", report);
        // The instrument comes first: the SFT policy beside the World's references, the reward model's gold
        // agreement per category, each policy's uplift over SFT, and whether each question is answerable.
        Assert.True(report.IndexOf("## The instrument", StringComparison.Ordinal) < report.IndexOf("## Headline", StringComparison.Ordinal));
        var instrument = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport()).Instrument;
        Assert.NotNull(instrument.Sft);
        Assert.NotNull(instrument.Demonstrator);
        Assert.NotNull(instrument.Expert);
        Assert.Equal(14, instrument.Items);
        Assert.True(instrument.Demonstrator!.Value.Mean > instrument.Sft!.Value.Mean, "a 2-step SFT model is no match for the demonstrator");
        var rm = Assert.Single(instrument.RewardModels);
        Assert.Equal("rm on uf", rm.Label);
        Assert.Equal(7, rm.ByCategory.Count);
        Assert.Equal(["dpo", "ppo", "bon2"], instrument.Uplifts.Select(u => u.Algorithm));
        Assert.Equal(["data", "algorithm", "reward_model", "prompts"], instrument.Questions.Select(q => q.Question));
        var json = instrument.ToJson();
        Assert.Equal(instrument.Sft.Value.Mean, json["sft"]!["mean"]!.GetValue<double>());
        Assert.Equal("dpo", json["uplift_vs_sft"]![0]!["algorithm"]!.GetValue<string>());
        Assert.NotNull(json["rm_agreement"]!["rm on uf"]!["by_category"]);

        var again = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"), "--no-report");
        Assert.Equal(0, again.Exit);
        Assert.Contains("0 run (0 resumed), 11 reused", again.Out);

        // A lab folder whose World this PrefLab can no longer read (another generator version) still reports, without
        // the World's reference responders, and says why.
        string manifest = Directory.GetFiles(dir.File("lab/work/world"), "world.json", SearchOption.AllDirectories).Single();
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace($"\"generator_version\": {PrefLab.World.WorldGenerator.Version}", "\"generator_version\": 1"));
        var old = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport());
        Assert.Null(old.Instrument.Demonstrator);
        Assert.NotNull(old.Instrument.Sft);
        Assert.Contains("The World's demonstrator and expert are not shown:", old.Markdown);
        Assert.Contains("generator version 1", old.Markdown);
    }

    [Fact]
    public void Best_of_n_with_the_gold_judge_picks_from_the_same_samples_as_with_a_reward_model_and_never_scores_lower_and_online_dpo_trains_with_both()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, """
            name: tiny-bon-gold
            world: { seed: 3, scale: small }
            pretrain: { preset: tiny-test, data: world:pretrain, max-steps: 2, max-length: 64 }
            sft: { data: world:sft, max-steps: 2, max-length: 64 }
            data:
              uf: { file: world:ultrafeedback, binarize: mean-aspects }
            algorithm:
              bon4: { type: best-of-n, n: 4 }
              odpo: { type: online-dpo, num-generations: 2, max-new-tokens: 4, rollout-batch-size: 4, total-episodes: 8 }
              sft: {}
            reward_model:
              rm: { max-steps: 2, max-length: 64 }
              gold: { gold: true }
            prompts:
              mixed: world:mixed
            evaluation: { suite: world, limit: 3, max-new-tokens: 12 }
            seeds: [1]
            """);
        var (exit, output, error) = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"));
        Assert.True(exit == 0, output + error);

        using var store = LabStore.Open(new LabFolder(dir.File("lab")).StorePath);
        var bon = store.Nodes().Where(n => n.Kind == "best_of_n").ToList();
        Assert.Equal(2, bon.Count);
        var byGold = store.EvaluationItems(bon.Single(n => n.Label.Contains("rm gold", StringComparison.Ordinal)).Id)
            .ToDictionary(i => (i.Category, i.ItemId), i => i.Score);
        var byRm = store.EvaluationItems(bon.Single(n => n.Label.Contains("rm rm", StringComparison.Ordinal)).Id)
            .ToDictionary(i => (i.Category, i.ItemId), i => i.Score);
        Assert.Equal(21, byGold.Count);
        Assert.Equal(byRm.Keys.Order(), byGold.Keys.Order());
        // Both nodes sample the same 4 responses an item (same policy, seed and chunking); the gold judge picks the
        // best of them by the score the evaluation gives, so it is never below the reward model's pick. Multiple-choice
        // items are scored by likelihood, not by the pick, and agree exactly.
        foreach (var (key, gold) in byGold) Assert.True(gold >= byRm[key] - 1e-12, $"{key}: gold pick {gold} < rm pick {byRm[key]}");
        Assert.True(byGold.Values.Sum() > byRm.Values.Sum(), "on some item the gold judge's pick beats the reward model's");

        var instrument = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport()).Instrument;
        Assert.Contains(instrument.Uplifts, u => u.Type == "best-of-n" && u.RewardModel == "gold");
        // Online DPO trained a policy with each judge, through the same online loop as PPO.
        Assert.Equal(["gold", "rm"], instrument.Uplifts.Where(u => u.Type == "online-dpo").Select(u => u.RewardModel!).Order());
        var onlineDpo = store.Nodes().Where(n => n.Kind == "policy").ToList();
        Assert.Equal(2, onlineDpo.Count);
        foreach (var node in onlineDpo)
            Assert.StartsWith("$ preflab online-dpo --policy ", File.ReadAllText(Path.Combine(dir.File($"lab/work/policy/{node.Id}"), LabExecutor.LogFile)));
        string report = File.ReadAllText(dir.File("lab/report.md"));
        Assert.Contains("Best-of-4 per category, each reward model against the first, paired by item", report);
    }

    [Fact]
    public void An_interrupted_lab_run_resumes_to_the_same_results_as_an_uninterrupted_one()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, TinyGrid);
        LabRunner.Run(grid, dir.File("straight"), new LabExecutor(), LabGrids.Quiet());

        // Stop when the 6th node starts, then run again: that node resumes, the five before it are reused.
        using var cancel = new CancellationTokenSource();
        var log = new CancelOnLine(": starting", 6, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            LabRunner.Run(grid, dir.File("interrupted"), new LabExecutor(), LabGrids.Quiet(cancel.Token, log: log)));
        var resumed = LabRunner.Run(grid, dir.File("interrupted"), new LabExecutor(), LabGrids.Quiet());
        Assert.True(resumed.Complete);
        Assert.True(resumed.Reused >= 5, $"{resumed.Reused} reused");
        Assert.Equal(1, resumed.Resumed);

        using var a = LabStore.Open(new LabFolder(dir.File("straight")).StorePath);
        using var b = LabStore.Open(new LabFolder(dir.File("interrupted")).StorePath);
        var evaluations = a.Nodes().Where(n => n.Kind is "evaluation" or "best_of_n").Select(n => n.Id).ToList();
        Assert.Equal(4, evaluations.Count);
        foreach (string id in evaluations)
            Assert.Equal(a.EvaluationItems(id), b.EvaluationItems(id));
    }

    [Fact]
    public void A_parallel_lab_run_runs_the_fan_out_in_child_processes_with_the_results_of_a_sequential_run()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, TinyGrid);
        int threads = PrefLab.Runtime.TorchRuntime.Threads;
        PrefLab.Runtime.TorchRuntime.SetThreads(1); // both runs' nodes with 1 thread: jobs divide the process's threads
        try
        {
            LabRunner.Run(grid, dir.File("one"), new LabExecutor(), LabGrids.Quiet());
            var log = new StringWriter();
            var parallel = LabRunner.Run(grid, dir.File("two"), new LabExecutor(),
                LabGrids.Quiet(log: log) with { Jobs = 2, Launcher = new PreflabNodeLauncher(TestSetup.Cli) });
            Assert.True(parallel.Complete);
            Assert.Equal(11, parallel.Executed);
            Assert.True(parallel.ModelFlops > 0);

            // Two nodes were running at once (a node starts before an earlier one is done), never more than two.
            int runningNow = 0, most = 0;
            foreach (string line in log.ToString().Split('\n'))
            {
                if (line.EndsWith(": starting", StringComparison.Ordinal)) most = Math.Max(most, ++runningNow);
                else if (line.Contains(": done in ", StringComparison.Ordinal)) runningNow--;
            }
            Assert.Equal(2, most);

            // The same bytes in every node's result and model, and the same item scores in the store.
            string one = dir.File("one/work"), two = dir.File("two/work");
            var files = Directory.EnumerateFiles(one, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) is "lab-result.json" or "model.safetensors").ToList();
            Assert.True(files.Count >= 15, $"{files.Count} files");
            foreach (string file in files)
                Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, Path.GetRelativePath(one, file)))),
                    Path.GetRelativePath(one, file));
            using var a = LabStore.Open(new LabFolder(dir.File("one")).StorePath);
            using var b = LabStore.Open(new LabFolder(dir.File("two")).StorePath);
            foreach (var node in a.Nodes())
            {
                var other = b.Node(node.Id)!;
                Assert.Equal(NodeStatus.Done, other.Status);
                Assert.Equal(a.EvaluationItems(node.Id), b.EvaluationItems(node.Id));
                if (node.Kind != "world") Assert.True(other.ModelFlops > 0, $"{node.Kind} {node.Label}: {other.ModelFlops}");
            }
        }
        finally
        {
            PrefLab.Runtime.TorchRuntime.SetThreads(threads);
        }
    }

    [Fact]
    public void A_parallel_lab_run_stopped_midway_resumes_its_children_and_a_failing_child_names_its_node_and_cause()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, TinyGrid);
        var launcher = new PreflabNodeLauncher(TestSetup.Cli);
        LabRunner.Run(grid, dir.File("straight"), new LabExecutor(), LabGrids.Quiet());

        // Stopped when the 6th node starts (a child): the running children are ended and resume on the next run.
        using var cancel = new CancellationTokenSource();
        var stopAt = new CancelOnLine(": starting", 6, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => LabRunner.Run(grid, dir.File("stopped"), new LabExecutor(),
            LabGrids.Quiet(cancel.Token, log: stopAt) with { Jobs = 2, Launcher = launcher }));
        var resumed = LabRunner.Run(grid, dir.File("stopped"), new LabExecutor(), LabGrids.Quiet() with { Jobs = 2, Launcher = launcher });
        Assert.True(resumed.Complete);
        Assert.True(resumed.Resumed >= 1, $"{resumed.Resumed} resumed");
        using (var a = LabStore.Open(new LabFolder(dir.File("straight")).StorePath))
        using (var b = LabStore.Open(new LabFolder(dir.File("stopped")).StorePath))
            foreach (var evaluation in a.Nodes().Where(n => n.Kind is "evaluation" or "best_of_n"))
                Assert.Equal(a.EvaluationItems(evaluation.Id), b.EvaluationItems(evaluation.Id));

        // A child that fails: its node is failed with the child's own error, the nodes after it are not run, the rest finish.
        string bad = LabGrids.Write(dir, TinyGrid.Replace("dpo: { max-steps: 2, max-length: 64 }", "dpo: { max-steps: 2, bogus-option: 3 }"), "bad.yaml");
        var failed = LabRunner.Run(bad, dir.File("bad"), new LabExecutor(), LabGrids.Quiet(keepGoing: true) with { Jobs = 2, Launcher = launcher });
        var node = Assert.Single(failed.Failed);
        Assert.StartsWith("dpo uf seed 1", node.Label);
        Assert.Contains("--bogus-option", node.Error);
        Assert.Equal(1, failed.Blocked);
        Assert.Equal(9, failed.Executed);
    }

    [Fact]
    public void A_grid_option_the_command_does_not_know_fails_its_node_naming_the_option_and_the_node()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, TinyGrid.Replace("dpo: { max-steps: 2, max-length: 64 }", "dpo: { max-steps: 2, bogus-option: 3 }"));
        var (exit, _, error) = CliAppTests.Run("lab", "run", grid, "--output", dir.File("lab"));
        Assert.Equal(2, exit);
        Assert.Contains("policy", error);
        Assert.Contains("dpo uf seed 1", error);
        Assert.Contains("--bogus-option", error);
    }

    [Fact]
    public void Demo_dry_run_writes_its_grid_and_plans_all_four_components()
    {
        using var dir = new TempDir();
        var quick = CliAppTests.Run("demo", "--quick", "--dry-run", "--output", dir.File("demo"));
        Assert.True(quick.Exit == 0, quick.Err);
        Assert.True(File.Exists(dir.File("demo/demo-quick.yaml")));
        Assert.Contains("Grid demo-quick: 5 runs, 16 nodes", quick.Out);

        var full = CliAppTests.Run("demo", "--dry-run", "--output", dir.File("full"));
        Assert.True(full.Exit == 0, full.Err);
        foreach (string kind in new[] { "world", "pretrain", "sft", "reward_model", "rm_evaluation", "policy", "best_of_n", "evaluation" })
            Assert.Contains($"  {kind} ", full.Out);
        Assert.Contains("prompts reasoning", full.Out);
        Assert.Contains("rm gold", full.Out);
    }

    sealed class CancelOnLine(string marker, int count, CancellationTokenSource cancel) : TextWriter
    {
        int seen;
        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            if (value is not null && value.Contains(marker, StringComparison.Ordinal) && ++seen == count) cancel.Cancel();
        }
    }
}

/// <summary><c>preflab demo --quick</c>, end to end, as a user runs it (issue 10's acceptance).</summary>
public class DemoQuickTests
{
    [Fact]
    public void Demo_quick_runs_the_study_writes_the_report_and_prints_the_headline_table()
    {
        using var dir = new TempDir();
        var (exit, output, error) = CliAppTests.Run("demo", "--quick", "--output", dir.File("demo"));
        Assert.True(exit == 0, output + error);
        Assert.Contains("Grid demo-quick: 5 runs, 16 nodes: 16 run (0 resumed), 0 reused, 0 failed, 0 not run", output);
        Assert.Contains($"Report: {dir.File("demo/report.md")} (5 runs", output);
        // The headline: one row per algorithm, one column per dataset.
        Assert.Contains("| algorithm | clean | noisy |", output);
        string report = File.ReadAllText(dir.File("demo/report.md"));
        foreach (string analysis in new[] { "datasets", "PPO", "reward model", "prompt" })
            Assert.Contains(analysis, report, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(Directory.GetFiles(dir.File("demo/plots"), "*.png"));
        // instrument.json states the cost against the machine's limit, per stage and for the whole invocation.
        var cost = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("demo/instrument.json")))!["utilisation"]!;
        Assert.True(cost["fp32_peak_gflops"]!.GetValue<double>() > 0);
        foreach (string stage in new[] { "pretrain", "sft", "reward_model", "dpo", "ppo", "evaluation" })
            Assert.InRange(cost["stages"]![stage]!["mfu"]!.GetValue<double>(), 1e-4, 1.0);
        Assert.InRange(cost["run"]!["mfu"]!.GetValue<double>(), 1e-3, 1.0);
        Assert.Contains("Cost against the machine's limit", report);

        // The paper's findings, in its direction: the better-labelled dataset (by the World's measured agreement, clean's
        // about 0.95 against noisy's about 0.71) minus the other, for the RM and for DPO and PPO; PPO − DPO per dataset; the tests
        // this grid cannot make (one RM size, one prompt set) say so.
        Assert.Contains("## The paper's findings on this run", report);
        var instrument = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("demo/instrument.json")))!;
        Assert.Equal(1, instrument["jobs"]!.GetValue<int>());
        var findings = instrument["findings"]!.AsArray().Select(f => f!).ToList();
        var tested = findings.Where(f => f["outcome"]!.GetValue<string>() != "not tested").ToList();
        Assert.Contains(tested, f => f["finding"]!.GetValue<string>() == "Better preference data gives a better reward model"
            && f["comparison"]!.GetValue<string>().StartsWith("gold agreement, RM on clean (0.9", StringComparison.Ordinal)
            && f["comparison"]!.GetValue<string>().Contains(" agreement with gold) − noisy (0.7", StringComparison.Ordinal));
        Assert.Contains(tested, f => f["finding"]!.GetValue<string>() == "Better preference data gives a better policy (DPO)");
        Assert.Equal(2, tested.Count(f => f["finding"]!.GetValue<string>() == "PPO beats DPO on the same data"));
        Assert.Contains(findings, f => f["finding"]!.GetValue<string>() == "A larger reward model gives a better PPO policy"
            && f["outcome"]!.GetValue<string>() == "not tested");
        Assert.All(tested, f => Assert.Contains(f["outcome"]!.GetValue<string>(), new[] { "reproduces", "reversed", "no detectable effect" }));
    }
}
