using Microsoft.Data.Sqlite;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Grid;

namespace PrefLab.Lab.Store;

/// <summary>Typed queries the report and tools use.</summary>
public sealed partial class LabStore
{
    public NodeState? Node(string id) =>
        Query($"SELECT {NodeColumns} FROM nodes WHERE id = $id", ReadNode, ("$id", id)).FirstOrDefault();

    public IReadOnlyList<NodeState> Nodes() => Query($"SELECT {NodeColumns} FROM nodes ORDER BY created_at, id", ReadNode);

    string NodeColumns => "id, kind, label, status, attempts, error, seconds, settings, " + (HasModelFlops ? "model_flops" : "NULL");

    static NodeState ReadNode(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4),
        NullableString(r, 5), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetDouble(8));

    /// <summary>The highest fp32 peak <see cref="RecordPeak"/> stored, or null.</summary>
    public double? Fp32PeakGflops => PeakGflops(Models.Layers.LinearPrecision.Fp32);

    /// <summary>The highest peak <see cref="RecordPeak"/> stored for <paramref name="precision"/>, or null.</summary>
    public double? PeakGflops(Models.Layers.LinearPrecision precision) =>
        Scalar("SELECT value FROM meta WHERE key = $k", ("$k", PeakKey(precision))) is string v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    static string PeakKey(Models.Layers.LinearPrecision precision) => Models.Layers.ComputePrecision.Name(precision) + "_gflops";

    /// <summary>
    /// The nodes the grids' current runs use (optionally only grids named <paramref name="gridName"/>): every run's
    /// result, policy, reward-model, RM-evaluation and SFT node and all their inputs, transitively. Nodes only runs of an
    /// older plan used (a grid registered again by a newer executor) are not among them, though the store keeps them.
    /// </summary>
    public IReadOnlyList<NodeState> GridNodes(string? gridName = null) =>
        Query($"""
            WITH RECURSIVE
              current(run) AS (SELECT gr.run FROM grid_runs gr JOIN grids g ON g.id = gr.grid WHERE $grid IS NULL OR g.name = $grid),
              used(id) AS (
                SELECT id FROM (
                  SELECT result_node AS id FROM runs WHERE id IN (SELECT run FROM current)
                  UNION SELECT policy_node FROM runs WHERE id IN (SELECT run FROM current)
                  UNION SELECT reward_model_node FROM runs WHERE id IN (SELECT run FROM current)
                  UNION SELECT rm_evaluation_node FROM runs WHERE id IN (SELECT run FROM current)
                  UNION SELECT sft_node FROM runs WHERE id IN (SELECT run FROM current))
                WHERE id IS NOT NULL
                UNION
                SELECT ni.upstream FROM node_inputs ni JOIN used u ON ni.node = u.id WHERE ni.upstream IS NOT NULL
              )
            SELECT {NodeColumns} FROM nodes WHERE id IN (SELECT id FROM used) ORDER BY created_at, id
            """, ReadNode, ("$grid", gridName));

    /// <summary>Node count per status (pending, running, done, failed).</summary>
    public IReadOnlyDictionary<string, int> StatusCounts() =>
        Query("SELECT status, COUNT(*) FROM nodes GROUP BY status", r => (r.GetString(0), r.GetInt32(1)))
            .ToDictionary(p => p.Item1, p => p.Item2);

    public IReadOnlyList<GridRecord> Grids() =>
        Query("SELECT id, name, path, sha256, registered_at FROM grids ORDER BY id",
            r => new GridRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)));

    /// <summary>
    /// Runs whose result node is done, optionally only those of grids named <paramref name="gridName"/>. A run in
    /// several grids takes its labels from the earliest of them.
    /// </summary>
    public IReadOnlyList<RunRecord> CompletedRuns(string? gridName = null) =>
        Query("""
            SELECT r.id, r.config, r.algorithm, r.seed, gr.data, gr.algorithm, gr.reward_model, gr.prompts,
                   r.result_node, r.policy_node, r.reward_model_node, r.rm_evaluation_node, r.settings, gr.grid
            FROM runs r
            JOIN nodes n ON n.id = r.result_node AND n.status = 'done'
            JOIN grid_runs gr ON gr.run = r.id
              AND gr.grid = (SELECT MIN(g2.grid) FROM grid_runs g2 JOIN grids gg ON gg.id = g2.grid
                             WHERE g2.run = r.id AND ($grid IS NULL OR gg.name = $grid))
            ORDER BY gr.grid, gr.position
            """,
            r => new RunRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3),
                new RunLabels(NullableString(r, 4), r.GetString(5), NullableString(r, 6), NullableString(r, 7)),
                r.GetString(8), NullableString(r, 9), NullableString(r, 10), NullableString(r, 11),
                Settings.FromJson(r.GetString(12)), r.GetInt64(13)),
            ("$grid", gridName));

    /// <summary>Levels of a factor in order of first appearance (earliest grid first, then file order).</summary>
    public IReadOnlyList<string> LevelOrder(string factor) =>
        Query("SELECT level, MIN(grid * 100000 + position) AS rank FROM grid_levels WHERE factor = $f GROUP BY level ORDER BY rank",
            r => r.GetString(0), ("$f", factor));

    /// <summary>A level's definition (canonical JSON) in the earliest grid that has it.</summary>
    public string? LevelDefinition(string factor, string level) =>
        Scalar("SELECT definition FROM grid_levels WHERE factor = $f AND level = $l ORDER BY grid LIMIT 1", ("$f", factor), ("$l", level));

    public IReadOnlyList<ItemScore> EvaluationItems(string node) =>
        Query("SELECT category, item, score FROM eval_items WHERE node = $n ORDER BY category, item",
            r => new ItemScore(r.GetString(0), r.GetString(1), r.GetDouble(2)), ("$n", node));

    public IReadOnlyList<CategorySummary> CategorySummaries(string node) =>
        Query("SELECT category, items, mean FROM eval_categories WHERE node = $n ORDER BY category",
            r => new CategorySummary(r.GetString(0), r.GetInt32(1), r.GetDouble(2)), ("$n", node));

    public IReadOnlyList<PairVerdict> RewardModelVerdicts(string node) =>
        Query("SELECT subset, item, correct, gold_agreement FROM rm_eval_items WHERE node = $n ORDER BY subset, item",
            r => new PairVerdict(r.GetString(0), r.GetString(1), r.GetDouble(2), r.IsDBNull(3) ? null : r.GetDouble(3)), ("$n", node));

    public IReadOnlyList<SubsetSummary> RewardModelSubsets(string node) =>
        Query("SELECT subset, items, accuracy, gold_agreement FROM rm_eval_subsets WHERE node = $n ORDER BY subset",
            r => new SubsetSummary(r.GetString(0), r.GetInt32(1), r.GetDouble(2), r.IsDBNull(3) ? null : r.GetDouble(3)), ("$n", node));

    /// <summary>Whether a node is done (its results are in the store).</summary>
    public bool IsDone(string node) => Scalar("SELECT status FROM nodes WHERE id = $n", ("$n", node)) == NodeStatus.Done;

    /// <summary>A training curve: (step, value) of one metric, by step.</summary>
    public IReadOnlyList<MetricPoint> Metric(string node, string name) =>
        Query("SELECT step, name, value FROM metrics WHERE node = $n AND name = $k ORDER BY step",
            r => new MetricPoint(r.GetInt64(0), r.GetString(1), r.GetDouble(2)), ("$n", node), ("$k", name));

    public IReadOnlyList<string> MetricNames(string node) =>
        Query("SELECT DISTINCT name FROM metrics WHERE node = $n ORDER BY name", r => r.GetString(0), ("$n", node));

    public IReadOnlyList<BestOfNRow> BestOfNResults() =>
        Query("SELECT run, reward_model_node, n, seed, category, score, items FROM bon_results ORDER BY reward_model_node, n, seed, category",
            r => new BestOfNRow(r.GetString(0), NullableString(r, 1), r.GetInt32(2), r.GetInt64(3), r.GetString(4), r.GetDouble(5), r.GetInt32(6)));

    /// <summary>Run ids whose resolved setting <paramref name="key"/> has <paramref name="value"/> (as text).</summary>
    public IReadOnlyList<string> RunsWithSetting(string key, string value) =>
        Query("SELECT run FROM run_settings WHERE key = $k AND value = $v ORDER BY run", r => r.GetString(0), ("$k", key), ("$v", value));
}
