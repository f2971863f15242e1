using PrefLab.Lab;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Store;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

public class LabRunnerTests
{
    /// <summary>The store's results, without timings, attempts or absolute paths: what must not depend on how a run got there.</summary>
    public static List<string> Dump(string labDir)
    {
        using var store = LabStore.Open(Path.Combine(labDir, LabStore.FileName), readOnly: true);
        var lines = new List<string>();
        foreach (string query in new[]
                 {
                     "SELECT id, kind, label, settings, folder, status FROM nodes ORDER BY id",
                     "SELECT node, role, upstream, hash FROM node_inputs ORDER BY node, role",
                     "SELECT id, config, algorithm, seed, settings, result_node, policy_node, reward_model_node, rm_evaluation_node, sft_node FROM runs ORDER BY id",
                     "SELECT run, key, value FROM run_settings ORDER BY run, key",
                     "SELECT run, position, data, algorithm, reward_model, prompts FROM grid_runs ORDER BY run",
                     "SELECT node, step, name, value FROM metrics ORDER BY node, name, step",
                     "SELECT node, category, item, score FROM eval_items ORDER BY node, category, item",
                     "SELECT node, category, items, mean FROM eval_categories ORDER BY node, category",
                     "SELECT node, subset, item, correct, gold_agreement FROM rm_eval_items ORDER BY node, subset, item",
                     "SELECT node, subset, items, accuracy, gold_agreement FROM rm_eval_subsets ORDER BY node, subset",
                 })
            foreach (var row in store.Select(query))
                lines.Add(string.Join("|", row.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        return lines;
    }

    [Fact]
    public void Runs_every_node_once_inputs_first_and_imports_results()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.Study);
        var executor = new FakeExecutor();
        var log = new StringWriter();
        var summary = LabRunner.Run(grid, dir.File("lab"), executor, LabGrids.Quiet(log: log));

        Assert.True(summary.Complete);
        Assert.Equal((71, 0, 0), (summary.Executed, summary.Reused, summary.Resumed));
        Assert.Equal(1, executor.Calls[NodeKind.World]);
        Assert.Equal(2, executor.Calls[NodeKind.Pretrain]);
        Assert.Equal(2, executor.Calls[NodeKind.Sft]);
        Assert.Equal(3, executor.Calls[NodeKind.RewardModel]);
        Assert.Equal(71, executor.Executions.Select(e => e.Id).Distinct().Count());
        Assert.Contains("lab: [1/71] world world (", log.ToString());
        Assert.Contains("[71/71]", log.ToString());

        using var store = LabStore.Open(dir.File("lab/results.sqlite"), readOnly: true);
        Assert.Equal(71, store.StatusCounts()[NodeStatus.Done]);
        Assert.Equal(36, store.CompletedRuns().Count);
        var ppo = summary.Plan.Runs.First(r => r.Run.Type == PrefLab.Lab.Grid.AlgorithmType.Ppo);
        // Metrics from metrics.jsonl: 6 steps of loss, lr, objective/scores and objective/kl.
        Assert.Equal([1L, 2, 3, 4, 5, 6], store.Metric(ppo.PolicyNode!, "objective/kl").Select(p => p.Step));
        Assert.Equal(0.02 * 9, store.Metric(ppo.PolicyNode!, "objective/kl")[2].Value, 12);
        Assert.Equal(FakeExecutor.Categories.Length * FakeExecutor.ItemsPerCategory, store.EvaluationItems(ppo.ResultNode).Count);
        Assert.Equal(60, store.RewardModelVerdicts(ppo.RmEvaluationNode!).Count);
        Assert.True(File.Exists(dir.File($"lab/work/policy/{ppo.PolicyNode}/model.txt")));
        Assert.Single(Directory.GetFiles(dir.File("lab/grids")));
    }

    [Fact]
    public void A_second_run_reuses_everything_and_a_second_grid_reuses_shared_nodes()
    {
        using var dir = new TempDir();
        string lab = dir.File("lab");
        var executor = new FakeExecutor();
        LabRunner.Run(LabGrids.Write(dir, LabGrids.DpoOnly), lab, executor, LabGrids.Quiet());
        int first = executor.Executions.Count;
        Assert.Equal(1 + 1 + 1 + 2 + 2, first); // world, pretrain, sft, 2 dpo, 2 evaluations

        var again = LabRunner.Run(dir.File("grid.yaml"), lab, executor, LabGrids.Quiet());
        Assert.Equal(first, executor.Executions.Count);
        Assert.Equal((0, 7), (again.Executed, again.Reused));

        // Another grid in the same folder: a third seed and a new dataset; world, base, SFT and seeds 1-2 on good are reused.
        string wider = LabGrids.DpoOnly.Replace("name: dpo-only", "name: wider").Replace("  good: world:good", "  good: world:good\n  noisy: world:noisy")
            .Replace("seeds: [1, 2]", "seeds: [1, 2, 3]");
        var second = LabRunner.Run(LabGrids.Write(dir, wider, "wider.yaml"), lab, executor, LabGrids.Quiet());
        Assert.Equal(2 * 6 - 4, second.Executed); // 6 runs x (policy + evaluation), minus the 2 runs already done
        Assert.Equal(0, executor.Calls[NodeKind.World] - 1);
        Assert.Equal(1, executor.Calls[NodeKind.Sft]);
        using var store = LabStore.Open(Path.Combine(lab, LabStore.FileName), readOnly: true);
        Assert.Equal(["dpo-only", "wider"], store.Grids().Select(g => g.Name));
        Assert.Equal(6, store.CompletedRuns().Count);
        Assert.Equal(2, store.CompletedRuns("dpo-only").Count);
    }

    [Fact]
    public void An_interrupted_run_resumes_from_its_checkpoint_and_ends_with_the_same_store_as_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.StudyOneSeed);
        LabRunner.Run(grid, dir.File("straight"), new FakeExecutor(), LabGrids.Quiet());

        using var cancel = new CancellationTokenSource();
        var interrupted = new FakeExecutor
        {
            Cancel = cancel,
            InterruptAtStep = 4,
            InterruptWhen = work => work.Kind == NodeKind.Policy && work.Settings.GetString("algorithm") == "ppo",
        };
        Assert.ThrowsAny<OperationCanceledException>(() => LabRunner.Run(grid, dir.File("resumed"), interrupted, LabGrids.Quiet(cancel.Token)));
        var stopped = interrupted.Executions[^1];
        Assert.Equal(NodeKind.Policy, stopped.Kind);
        using (var store = LabStore.Open(dir.File("resumed/results.sqlite"), readOnly: true))
        {
            Assert.Equal(NodeStatus.Running, store.Node(stopped.Id)!.Status);
            Assert.Equal(interrupted.Executions.Count - 1, store.StatusCounts()[NodeStatus.Done]);
            Assert.Equal("interrupted", store.Select("SELECT outcome FROM node_attempts WHERE node = $n", ("$n", stopped.Id)).Single()[0]);
        }
        Assert.Equal([$"{stopped.Id}:1", $"{stopped.Id}:2", $"{stopped.Id}:3"], interrupted.StepsRun.Where(s => s.StartsWith(stopped.Id)));

        var resumer = new FakeExecutor();
        var summary = LabRunner.Run(grid, dir.File("resumed"), resumer, LabGrids.Quiet());
        Assert.True(summary.Complete);
        Assert.Equal(1, summary.Resumed);
        Assert.Equal((stopped.Id, true), (resumer.Executions[0].Id, resumer.Executions[0].Resume));
        Assert.All(resumer.Executions.Skip(1), e => Assert.False(e.Resume));
        // Only the steps after the checkpoint ran again.
        Assert.Equal([$"{stopped.Id}:4", $"{stopped.Id}:5", $"{stopped.Id}:6"], resumer.StepsRun.Where(s => s.StartsWith(stopped.Id)));
        Assert.Equal(31, interrupted.Executions.Count - 1 + resumer.Executions.Count);

        Assert.Equal(Dump(dir.File("straight")), Dump(dir.File("resumed")));
    }

    [Fact]
    public void A_failed_node_stops_the_grid_with_a_clear_message_and_is_retried_afresh()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.StudyOneSeed);
        string lab = dir.File("lab");
        var failing = new FakeExecutor { FailWhen = work => work.Kind == NodeKind.RewardModel && work.Settings.GetString("preset") == "large" };
        var error = Assert.Throws<LabNodeFailedException>(() => LabRunner.Run(grid, lab, failing, LabGrids.Quiet()));
        Assert.Equal(NodeKind.RewardModel, error.Node.Kind);
        Assert.StartsWith($"reward_model node {error.Node.Id} (reward model rm-large on good) failed: InvalidOperationException: simulated failure", error.Message);
        Assert.Contains(Path.Combine("lab", "work", "reward_model", error.Node.Id), error.Message);
        Assert.Contains("--keep-going", error.Message);
        Assert.IsAssignableFrom<UserError>(error);
        int executedBeforeStop = failing.Executions.Count;

        using (var store = LabStore.Open(Path.Combine(lab, LabStore.FileName), readOnly: true))
        {
            var state = store.Node(error.Node.Id)!;
            Assert.Equal((NodeStatus.Failed, 1), (state.Status, state.Attempts));
            Assert.Contains("simulated failure", state.Error);
            Assert.Equal(executedBeforeStop - 1, store.StatusCounts()[NodeStatus.Done]);
            Assert.Equal(31 - executedBeforeStop, store.StatusCounts()[NodeStatus.Pending]);
        }

        var healthy = new FakeExecutor();
        var summary = LabRunner.Run(grid, lab, healthy, LabGrids.Quiet());
        Assert.True(summary.Complete);
        Assert.Equal((error.Node.Id, false), (healthy.Executions[0].Id, healthy.Executions[0].Resume));
        Assert.Equal(31 - executedBeforeStop + 1, summary.Executed);
    }

    [Fact]
    public void A_LibTorch_failure_is_run_once_more_resuming_and_a_second_one_fails_the_node()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.StudyOneSeed);
        bool IsPolicy(NodeWork work) => work.Kind == NodeKind.Policy && work.Node.Label.StartsWith("ppo", StringComparison.Ordinal);

        // Once: the node runs again (resuming in its folder, as after a kill) and the grid completes with the results
        // an unbroken run gives.
        var failedOnce = new HashSet<string>();
        var flaky = new FakeExecutor { NativeFailureWhen = work => IsPolicy(work) && failedOnce.Add(work.Node.Id) };
        var log = new StringWriter();
        var summary = LabRunner.Run(grid, dir.File("flaky"), flaky, LabGrids.Quiet(log: log));
        Assert.True(summary.Complete);
        Assert.NotEmpty(failedOnce);
        Assert.Contains("LibTorch failed (false INTERNAL ASSERT FAILED", log.ToString());
        Assert.All(failedOnce, id => Assert.Contains(flaky.Executions, e => e.Id == id && e.Resume));
        var straight = LabRunner.Run(grid, dir.File("straight"), new FakeExecutor(), LabGrids.Quiet());
        using (var a = LabStore.Open(Path.Combine(dir.File("flaky"), LabStore.FileName), readOnly: true))
        using (var b = LabStore.Open(Path.Combine(dir.File("straight"), LabStore.FileName), readOnly: true))
            foreach (var run in b.CompletedRuns())
                Assert.Equal(b.EvaluationItems(run.ResultNode).Select(i => i.Score), a.EvaluationItems(run.ResultNode).Select(i => i.Score));

        // Twice: the node fails with the cause, as any failure does.
        var broken = new FakeExecutor { NativeFailureWhen = IsPolicy };
        var error = Assert.Throws<LabNodeFailedException>(() => LabRunner.Run(grid, dir.File("broken"), broken, LabGrids.Quiet()));
        Assert.Contains("ExternalException: false INTERNAL ASSERT FAILED", error.Message);
    }

    [Fact]
    public void Keep_going_runs_everything_that_does_not_depend_on_the_failed_node()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.StudyOneSeed);
        var failing = new FakeExecutor { FailWhen = work => work.Kind == NodeKind.RewardModel && work.Settings.GetString("preset") == "large" };
        var summary = LabRunner.Run(grid, dir.File("lab"), failing, LabGrids.Quiet(keepGoing: true));
        Assert.False(summary.Complete);
        Assert.Single(summary.Failed);
        // Downstream of rm-large: its evaluation, 2 ppo policies (one a prompt set) and their evaluations, 1 best-of-4 run.
        Assert.Equal(1 + 2 + 2 + 1, summary.Blocked);
        Assert.Equal(31 - 1 - summary.Blocked, summary.Executed);
        Assert.DoesNotContain(failing.Executions, e => summary.Plan.Node(e.Id).Inputs.Any(i => i.NodeId == summary.Failed[0].Id));

        // The report covers what finished and lists the failure.
        var report = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport());
        Assert.Contains($"| {summary.Failed[0].Id} | reward_model | reward model rm-large on good | InvalidOperationException: simulated failure of reward model rm-large on good |", report.Markdown);
        Assert.Equal(12 - 3, report.Runs);
    }

    [Fact]
    public void A_folder_with_a_finished_result_is_adopted_when_the_store_is_lost()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, LabGrids.DpoOnly);
        string lab = dir.File("lab");
        LabRunner.Run(grid, lab, new FakeExecutor(), LabGrids.Quiet());
        var before = Dump(lab);
        File.Delete(Path.Combine(lab, LabStore.FileName));

        var executor = new FakeExecutor();
        var summary = LabRunner.Run(grid, lab, executor, LabGrids.Quiet());
        Assert.Empty(executor.Executions);
        Assert.Equal(7, summary.Reused);
        Assert.Equal(before, Dump(lab));
    }

    [Fact]
    public void A_lab_folder_is_held_by_one_run_at_a_time()
    {
        using var dir = new TempDir();
        var folder = new LabFolder(dir.File("lab"));
        using (folder.Lock())
        {
            var error = Assert.Throws<UserError>(() => LabRunner.Run(LabGrids.Write(dir, LabGrids.DpoOnly), folder.Root, new FakeExecutor(), LabGrids.Quiet()));
            Assert.Contains("in use by another `lab run`", error.Message);
        }
        Assert.True(LabRunner.Run(dir.File("grid.yaml"), folder.Root, new FakeExecutor(), LabGrids.Quiet()).Complete);
    }

    [Fact]
    public void Plan_only_registers_the_grid_without_executing()
    {
        using var dir = new TempDir();
        var executor = new FakeExecutor();
        var summary = LabRunner.Run(LabGrids.Write(dir, LabGrids.Study), dir.File("lab"), executor, LabGrids.Quiet() with { PlanOnly = true });
        Assert.Empty(executor.Executions);
        Assert.Equal(71, summary.Plan.Nodes.Count);
        using var store = LabStore.Open(dir.File("lab/results.sqlite"), readOnly: true);
        Assert.Equal(71, store.StatusCounts()[NodeStatus.Pending]);
        Assert.Empty(store.CompletedRuns());

        // A report of a lab with nothing finished says so and omits every analysis.
        var report = PrefLab.Lab.Report.LabReport.Write(dir.File("lab"), LabGrids.FastReport(plots: true));
        Assert.Contains("Completed runs: 0 in 0 configurations. Nodes: 0 done, 0 interrupted, 71 pending, 0 failed.", report.Markdown);
        Assert.Contains("No completed runs in the store.", report.Markdown);
        Assert.Equal(5, report.Markdown.Split("Omitted:").Length - 1);   // the instrument and the four analyses
        Assert.Empty(report.Plots);
    }
}
