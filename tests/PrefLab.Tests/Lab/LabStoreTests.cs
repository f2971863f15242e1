using PrefLab.Lab.Execution;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Report;
using PrefLab.Lab.Store;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

public class LabStoreTests
{
    static (LabStore Store, LabPlan Plan) Registered(TempDir dir, string grid = LabGrids.Study)
    {
        var plan = LabPlanner.Build(GridFile.Load(LabGrids.Write(dir, grid)), new ContentHasher(), _ => "fake-1");
        var store = LabStore.Open(dir.File("lab/results.sqlite"));
        store.Register(plan);
        return (store, plan);
    }

    [Fact]
    public void Registering_a_plan_records_grid_levels_nodes_runs_and_settings_once()
    {
        using var dir = new TempDir();
        var (store, plan) = Registered(dir);
        using (store)
        {
            long again = store.Register(plan);
            Assert.Equal(1, again);
            Assert.Equal(StoreSchema.Version, store.SchemaVersion);
            Assert.Equal(71, store.StatusCounts()[NodeStatus.Pending]);
            Assert.Equal(36L, store.Select("SELECT COUNT(*) FROM runs")[0][0]);
            Assert.Equal(["noisy", "good"], store.LevelOrder(Factors.Data));
            Assert.Equal(["dpo", "ppo", "bon4", "sft"], store.LevelOrder(Factors.Algorithm));
            Assert.Equal("""{"data":"good","preset":"large","seed":1}""", store.LevelDefinition(Factors.RewardModel, "rm-large"));

            // A row per resolved setting, queryable by key.
            var run = plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo);
            var rows = store.Select("SELECT key, value FROM run_settings WHERE run = $r ORDER BY key", ("$r", run.Id));
            Assert.Equal(run.Run.Resolved.Keys, rows.Select(r => (string)r[0]!));
            Assert.Equal("0.1", rows.Single(r => (string)r[0]! == "algorithm.beta")[1]);
            Assert.Equal(6, store.RunsWithSetting("algorithm.beta", "0.1").Count);
            Assert.Equal(18, store.RunsWithSetting("algorithm", "ppo").Count);
        }
    }

    [Fact]
    public void A_grid_registered_again_by_a_newer_executor_keeps_only_its_current_runs()
    {
        using var dir = new TempDir();
        var (store, old) = Registered(dir);
        using (store)
        {
            var newer = LabPlanner.Build(GridFile.Load(LabGrids.Write(dir, LabGrids.Study)), new ContentHasher(), _ => "fake-2");
            Assert.Equal(old.Runs.Count, newer.Runs.Count);
            Assert.Empty(old.Runs.Select(r => r.Id).Intersect(newer.Runs.Select(r => r.Id)));
            Assert.Equal(old.Grid.Text, newer.Grid.Text);
            store.Register(newer);

            // One finished run of each plan for the same configuration and seed: only the current plan's is the grid's.
            var sft = old.Runs.First(r => r.Run.Type == AlgorithmType.Sft);
            var sftNow = newer.Runs.Single(r => r.ConfigKey == sft.ConfigKey && r.Run.Seed == sft.Run.Seed);
            foreach (var run in new[] { sft, sftNow })
                store.MarkDone(run.ResultNode, NodeResult.Evaluation([new("math", "1", 1)]), [], 1);
            Assert.Equal([sftNow.Id], store.CompletedRuns().Select(r => r.Id));
            Assert.Equal(2L * old.Runs.Count, store.Select("SELECT COUNT(*) FROM runs")[0][0]);
            Assert.Equal((long)newer.Runs.Count, store.Select("SELECT COUNT(*) FROM grid_runs")[0][0]);

            // The grid's nodes are the current plan's (every run's nodes and their inputs), not the older plan's: the
            // report's node counts and cost table take them.
            var gridNodes = store.GridNodes().Select(n => n.Id).ToHashSet();
            Assert.Equal(newer.Nodes.Select(n => n.Id).ToHashSet(), gridNodes);
            Assert.Empty(old.Nodes.Select(n => n.Id).Intersect(gridNodes));
            Assert.Equal(gridNodes, store.GridNodes(newer.Grid.Name).Select(n => n.Id).ToHashSet());
            Assert.Empty(store.GridNodes("another-grid"));
            Assert.Equal(old.Nodes.Count + newer.Nodes.Count, store.Nodes().Count);
        }
    }

    [Fact]
    public void Results_round_trip_with_summaries_and_status_transitions()
    {
        using var dir = new TempDir();
        var (store, plan) = Registered(dir);
        using (store)
        {
            var evaluation = plan.Runs.First(r => r.Run.Type == AlgorithmType.BestOfN).ResultNode;
            store.MarkRunning(evaluation, resumed: false);
            Assert.Equal((NodeStatus.Running, 1), (store.Node(evaluation)!.Status, store.Node(evaluation)!.Attempts));
            ItemScore[] items = [new("math", "1", 1), new("math", "2", 0), new("math", "3", 1), new("tone", "a", 0.25)];
            store.MarkDone(evaluation, NodeResult.Evaluation(items), [], 1.5);
            Assert.Equal(items.OrderBy(i => i.Category).ThenBy(i => i.ItemId), store.EvaluationItems(evaluation));
            Assert.Equal([new CategorySummary("math", 3, 2.0 / 3), new CategorySummary("tone", 1, 0.25)], store.CategorySummaries(evaluation));
            Assert.Equal((NodeStatus.Done, 1.5), (store.Node(evaluation)!.Status, store.Node(evaluation)!.Seconds));
            var bon = store.BestOfNResults().Where(b => b.Run == evaluation).ToList();
            Assert.Equal([(4, "math", 2.0 / 3), (4, "tone", 0.25)], bon.Select(b => (b.N, b.Category, b.Score)));

            var rmEval = plan.Runs.First(r => r.RmEvaluationNode is not null).RmEvaluationNode!;
            PairVerdict[] verdicts = [new("chat", "p1", 1, 1), new("chat", "p2", 0, 1), new("code", "p3", 1, null)];
            store.MarkRunning(rmEval, false);
            store.MarkDone(rmEval, NodeResult.RewardModelEvaluation(verdicts), [], 0.1);
            Assert.Equal(verdicts.OrderBy(v => v.Subset).ThenBy(v => v.ItemId), store.RewardModelVerdicts(rmEval));
            Assert.Equal([new SubsetSummary("chat", 2, 0.5, 1.0), new SubsetSummary("code", 1, 1.0, null)], store.RewardModelSubsets(rmEval));

            var policy = plan.Runs.First(r => r.PolicyNode is not null).PolicyNode!;
            store.MarkRunning(policy, false);
            store.MarkFailed(policy, "out of memory", 2);
            Assert.Equal((NodeStatus.Failed, "out of memory"), (store.Node(policy)!.Status, store.Node(policy)!.Error));
            store.MarkRunning(policy, false);
            store.MarkInterrupted(policy, 1);
            store.MarkRunning(policy, resumed: true);
            MetricPoint[] metrics = [new(1, "loss", 0.7), new(2, "loss", 0.6), new(1, "lr", 1e-5)];
            store.MarkDone(policy, NodeResult.None, metrics, 3);
            Assert.Equal([new MetricPoint(1, "loss", 0.7), new MetricPoint(2, "loss", 0.6)], store.Metric(policy, "loss"));
            Assert.Equal(["loss", "lr"], store.MetricNames(policy));
            var attempts = store.Select("SELECT attempt, resumed, outcome, error FROM node_attempts WHERE node = $n ORDER BY attempt", ("$n", policy));
            Assert.Equal(["1|0|failed|out of memory", "2|0|interrupted|", "3|1|done|"], attempts.Select(a => string.Join("|", a)));
        }
    }

    [Fact]
    public void A_schema_1_store_is_read_as_it_is_and_migrated_when_opened_for_writing()
    {
        using var dir = new TempDir();
        var (store, plan) = Registered(dir);
        string node = plan.Runs.First(r => r.PolicyNode is not null).PolicyNode!;
        using (store)
        {
            store.MarkRunning(node, false);
            store.MarkDone(node, NodeResult.None, [], 2);
            // Back to schema 1: the column the migration adds is gone.
            store.InTransaction(() =>
            {
                store.Select("ALTER TABLE nodes DROP COLUMN model_flops");
                store.Select("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
            });
        }
        using (var old = LabStore.Open(store.Path, readOnly: true))
        {
            Assert.Equal(1, old.SchemaVersion);
            Assert.Equal((NodeStatus.Done, 2.0, (double?)null), (old.Node(node)!.Status, old.Node(node)!.Seconds, old.Node(node)!.ModelFlops));
        }
        using (var migrated = LabStore.Open(store.Path))
        {
            Assert.Equal(StoreSchema.Version, migrated.SchemaVersion);
            Assert.Null(migrated.Node(node)!.ModelFlops);
            migrated.MarkRunning(node, false);
            migrated.MarkDone(node, NodeResult.None, [], 4, modelFlops: 8e11);
            Assert.Equal(8e11, migrated.Node(node)!.ModelFlops);
        }
    }

    [Fact]
    public void Utilisation_is_model_flops_over_node_time_and_the_recorded_peak_per_stage_and_in_all()
    {
        using var dir = new TempDir();
        var (store, plan) = Registered(dir);
        using (store)
        {
            var dpo = plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo).PolicyNode!;
            var ppo = plan.Runs.First(r => r.Run.Type == AlgorithmType.Ppo).PolicyNode!;
            var evaluation = plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo).ResultNode;
            var adopted = plan.Runs.Last(r => r.Run.Type == AlgorithmType.Ppo).PolicyNode!;
            foreach (var (id, seconds, flops) in new[] { (dpo, 10.0, (double?)4e11), (ppo, 20.0, 2e11), (evaluation, 5.0, 1e10), (adopted, 0.0, null) })
            {
                store.MarkRunning(id, false);
                store.MarkDone(id, id == evaluation ? NodeResult.Evaluation([new ItemScore("math", "1", 1)]) : NodeResult.None, [], seconds, flops);
            }
            Assert.Null(UtilisationFigures.Compute(store).Total.Mfu); // no peak recorded yet
            store.RecordPeak(100);
            // A later, lower measurement (cores shared with other work) does not replace the machine's highest.
            store.RecordPeak(60);
            Assert.Equal(100, store.Fp32PeakGflops);
            var figures = UtilisationFigures.Compute(store);
            Assert.Equal(100, figures.PeakGflops);
            var byStage = figures.Stages.ToDictionary(s => s.Stage);
            Assert.Equal(["dpo", "evaluation", "ppo"], figures.Stages.Select(s => s.Stage).Order());
            Assert.Equal(4e11 / (10 * 100e9), byStage["dpo"].Mfu!.Value, 12);
            Assert.Equal(2e11 / (20 * 100e9), byStage["ppo"].Mfu!.Value, 12);
            Assert.Equal(3, figures.Total.Nodes); // the adopted node's cost was not counted here
            Assert.Equal(6.1e11 / (35 * 100e9), figures.Total.Mfu!.Value, 12);
            Assert.Equal(40, byStage["dpo"].AchievedGflops, 9);
            Assert.Contains("| dpo | 1 | 10.0 | 400 | 40.0 | 40.0% |", figures.ToMarkdown());
            Assert.Equal(0.4, figures.ToJson()["stages"]!["dpo"]!["mfu"]!.GetValue<double>());
            Assert.Null(figures.Bf16PeakGflops);
            Assert.Equal(100, figures.EffectivePeakGflops);
        }
    }

    [Fact]
    public void A_node_that_ran_bf16_products_is_measured_against_the_bf16_peak()
    {
        using var dir = new TempDir();
        // DPO's nodes ran bf16 products (a training command's --precision), PPO's fp32.
        var (store, plan) = Registered(dir, LabGrids.Study.Replace("dpo: { beta: 0.1 }", "dpo: { beta: 0.1, precision: bf16 }"));
        using (store)
        {
            var dpo = plan.Runs.First(r => r.Run.Type == AlgorithmType.Dpo).PolicyNode!;
            var ppo = plan.Runs.First(r => r.Run.Type == AlgorithmType.Ppo).PolicyNode!;
            foreach (var (id, seconds, flops) in new[] { (dpo, 10.0, 4e11), (ppo, 20.0, 2e11) })
            {
                store.MarkRunning(id, false);
                store.MarkDone(id, NodeResult.None, [], seconds, flops);
            }
            store.RecordPeak(100);
            store.RecordPeak(400, PrefLab.Models.Layers.LinearPrecision.Bf16);
            Assert.Equal(100, store.Fp32PeakGflops); // the two peaks are kept apart
            Assert.Equal(400, store.PeakGflops(PrefLab.Models.Layers.LinearPrecision.Bf16));
            Assert.Equal(PrefLab.Models.Layers.LinearPrecision.Bf16, store.GridNodes(null).Single(n => n.Id == dpo).Precision);
            Assert.Equal(PrefLab.Models.Layers.LinearPrecision.Fp32, store.GridNodes(null).Single(n => n.Id == ppo).Precision);

            var figures = UtilisationFigures.Compute(store);
            var byStage = figures.Stages.ToDictionary(s => s.Stage);
            Assert.Equal(4e11 / (10 * 400e9), byStage["dpo"].Mfu!.Value, 12);
            Assert.Equal(2e11 / (20 * 100e9), byStage["ppo"].Mfu!.Value, 12);
            // In all: the FLOPs over what the nodes could have done, each at its own precision's peak.
            Assert.Equal(6e11 / (10 * 400e9 + 20 * 100e9), figures.Total.Mfu!.Value, 12);
            Assert.Equal((10 * 400.0 + 20 * 100.0) / 30, figures.EffectivePeakGflops!.Value, 9);
            Assert.Equal(400, figures.Bf16PeakGflops);
            Assert.Contains("bf16 peak (400 GFLOP/s)", figures.ToMarkdown());
            Assert.Equal(400, figures.ToJson()["bf16_peak_gflops"]!.GetValue<double>());
        }
    }

    [Fact]
    public void A_store_from_a_newer_schema_is_refused_and_a_missing_one_is_not_created_for_reading()
    {
        using var dir = new TempDir();
        string path = dir.File("results.sqlite");
        using (var store = LabStore.Open(path))
            store.InTransaction(() => store.Select("UPDATE meta SET value = '99' WHERE key = 'schema_version'"));
        var error = Assert.Throws<UserError>(() => LabStore.Open(path));
        Assert.Contains("schema 99 was written by a newer PrefLab", error.Message);
        Assert.Throws<UserError>(() => LabStore.Open(dir.File("absent.sqlite"), readOnly: true));
        Assert.False(File.Exists(dir.File("absent.sqlite")));
    }

    [Fact]
    public void Metrics_file_reads_numeric_fields_by_step_and_ignores_a_torn_last_line()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("metrics.jsonl"),
            "{\"step\":1,\"epoch\":0,\"loss\":0.9,\"note\":\"warmup\"}\n" +
            "{\"step\":2,\"loss\":0.8,\"objective/kl\":0.01}\n" +
            "{\"step\":2,\"loss\":0.75}\n" +
            "{\"loss\":0.1}\n" +
            "{\"step\":3,\"lo");
        var points = MetricsFile.Read(dir.Path);
        Assert.Equal([new MetricPoint(1, "epoch", 0), new MetricPoint(1, "loss", 0.9), new MetricPoint(2, "loss", 0.75), new MetricPoint(2, "objective/kl", 0.01)], points);
        Assert.Empty(MetricsFile.Read(dir.File("missing")));
    }
}
