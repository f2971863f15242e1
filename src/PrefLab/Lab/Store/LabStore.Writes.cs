using System.Text.Json.Nodes;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Runtime;

namespace PrefLab.Lab.Store;

public sealed partial class LabStore
{
    /// <summary>
    /// Records a grid, its levels, its runs (with resolved settings, a row per key) and the nodes they need (new
    /// nodes as pending; known nodes keep their status), in one transaction. Returns the grid's id; registering the
    /// same grid file again returns the same id.
    /// </summary>
    public long Register(LabPlan plan)
    {
        var grid = plan.Grid;
        long gridId = 0;
        InTransaction(() =>
        {
            string sha = ContentHasher.Sha256Hex(grid.Text);
            Execute("INSERT OR IGNORE INTO grids (name, path, sha256, text, registered_at) VALUES ($n, $p, $s, $t, $at)",
                ("$n", grid.Name), ("$p", grid.Path), ("$s", sha), ("$t", grid.Text), ("$at", Now()));
            gridId = long.Parse(Scalar("SELECT id FROM grids WHERE name = $n AND sha256 = $s", ("$n", grid.Name), ("$s", sha))!,
                System.Globalization.CultureInfo.InvariantCulture);
            // The grid's runs are its current plan's: runs planned by an older executor (other node ids) stay in the
            // store's history but leave the grid, so the report does not count them as extra seeds.
            Execute("DELETE FROM grid_runs WHERE grid = $g", ("$g", gridId));

            foreach (var level in grid.Data) AddLevel(gridId, Factors.Data, level.Name, level.Position, level.Settings.ToCanonicalJson());
            foreach (var level in grid.Algorithms)
                AddLevel(gridId, Factors.Algorithm, level.Name, level.Position, level.Options.With("type", level.Type.Name()).ToCanonicalJson());
            foreach (var level in grid.RewardModels) AddLevel(gridId, Factors.RewardModel, level.Name, level.Position, RewardModelDefinition(level));
            foreach (var level in grid.Prompts) AddLevel(gridId, Factors.Prompts, level.Name, level.Position, level.Settings.ToCanonicalJson());

            foreach (var node in plan.Nodes)
            {
                Execute("""
                    INSERT OR IGNORE INTO nodes (id, kind, label, settings, folder, status, created_at)
                    VALUES ($id, $kind, $label, $settings, $folder, 'pending', $at)
                    """,
                    ("$id", node.Id), ("$kind", node.Kind.Name()), ("$label", node.Label), ("$settings", node.Settings.ToCanonicalJson()),
                    ("$folder", node.Folder.Replace(System.IO.Path.DirectorySeparatorChar, '/')), ("$at", Now()));
                foreach (var input in node.Inputs)
                    Execute("INSERT OR IGNORE INTO node_inputs (node, role, upstream, path, hash) VALUES ($n, $r, $u, $p, $h)",
                        ("$n", node.Id), ("$r", input.Role), ("$u", input.NodeId), ("$p", input.ExternalPath), ("$h", input.Hash));
            }

            foreach (var run in plan.Runs)
            {
                int added = Execute("""
                    INSERT OR IGNORE INTO runs (id, config, algorithm, seed, settings, result_node, policy_node, reward_model_node, rm_evaluation_node, sft_node)
                    VALUES ($id, $config, $algorithm, $seed, $settings, $result, $policy, $rm, $rmEval, $sft)
                    """,
                    ("$id", run.Id), ("$config", run.ConfigKey), ("$algorithm", run.Run.Type.Name()), ("$seed", run.Run.Seed),
                    ("$settings", run.Run.Resolved.ToCanonicalJson()), ("$result", run.ResultNode), ("$policy", run.PolicyNode),
                    ("$rm", run.RewardModelNode), ("$rmEval", run.RmEvaluationNode), ("$sft", run.SftNode));
                if (added > 0)
                    foreach (var (key, value) in run.Run.Resolved.Pairs)
                        Execute("INSERT INTO run_settings (run, key, value) VALUES ($r, $k, $v)",
                            ("$r", run.Id), ("$k", key), ("$v", Settings.ValueText(value)));
                var labels = run.Run.Labels;
                Execute("""
                    INSERT OR REPLACE INTO grid_runs (grid, run, position, data, algorithm, reward_model, prompts)
                    VALUES ($g, $r, $pos, $d, $a, $rm, $p)
                    """,
                    ("$g", gridId), ("$r", run.Id), ("$pos", run.Run.Index), ("$d", labels.Data), ("$a", labels.Algorithm),
                    ("$rm", labels.RewardModel), ("$p", labels.Prompts));
            }
        });
        return gridId;
    }

    static string RewardModelDefinition(RewardModelLevel level)
    {
        var definition = level.Options;
        if (level.Gold) definition = definition.With("gold", JsonValue.Create(true));
        if (level.DataName is not null) definition = definition.With("data", level.DataName);
        if (level.InlineData is not null) definition = definition.Merge(level.InlineData.Prefixed("data"));
        if (level.Preset is not null) definition = definition.With("preset", level.Preset);
        if (level.Model is not null) definition = definition.With("model", level.Model);
        return definition.ToCanonicalJson();
    }

    void AddLevel(long grid, string factor, string level, int position, string definition) =>
        Execute("INSERT OR REPLACE INTO grid_levels (grid, factor, level, position, definition) VALUES ($g, $f, $l, $p, $d)",
            ("$g", grid), ("$f", factor), ("$l", level), ("$p", position), ("$d", definition));

    /// <summary>Marks a node running and opens an attempt.</summary>
    public void MarkRunning(string node, bool resumed)
    {
        InTransaction(() =>
        {
            string now = Now();
            Execute("UPDATE nodes SET status = 'running', attempts = attempts + 1, started_at = $t, finished_at = NULL, seconds = NULL, error = NULL WHERE id = $id",
                ("$t", now), ("$id", node));
            Execute("""
                INSERT INTO node_attempts (node, attempt, resumed, started_at, outcome)
                SELECT id, attempts, $resumed, $t, 'running' FROM nodes WHERE id = $id
                """, ("$id", node), ("$resumed", resumed ? 1 : 0), ("$t", now));
        });
    }

    /// <summary>Imports a finished node's results (metrics, item scores, verdicts) and marks it done, in one transaction.</summary>
    /// <summary>An fp32 matmul peak (GFLOP/s) measured after a run that did model work; the store keeps the highest
    /// so far. A peak measured while other work shares the cores comes out low, and dividing nodes timed on a quiet
    /// machine by it gave utilisations above 100%: the highest measurement is the nearest to the machine's limit.</summary>
    /// <param name="precision">Which products were measured: fp32, or bf16 for nodes that ran <c>precision: bf16</c>.</param>
    public void RecordPeak(double gflops, Models.Layers.LinearPrecision precision = Models.Layers.LinearPrecision.Fp32) =>
        Execute("INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = " +
            "CASE WHEN CAST(excluded.value AS REAL) > CAST(meta.value AS REAL) THEN excluded.value ELSE meta.value END",
            ("$k", PeakKey(precision)), ("$v", gflops.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    /// <param name="modelFlops">The model FLOPs the finishing attempt did (<see cref="Models.ModelFlops"/>), or null
    /// when not counted (an adopted result).</param>
    public void MarkDone(string node, NodeResult result, IReadOnlyList<MetricPoint> metrics, double seconds, double? modelFlops = null)
    {
        InTransaction(() =>
        {
            ImportResults(node, result, metrics);
            string now = Now();
            Execute("UPDATE nodes SET status = 'done', finished_at = $t, seconds = $s, error = NULL, model_flops = $f WHERE id = $id",
                ("$t", now), ("$s", seconds), ("$f", (object?)modelFlops ?? DBNull.Value), ("$id", node));
            CloseAttempt(node, "done", seconds, null, now);
        });
    }

    public void MarkFailed(string node, string error, double seconds)
    {
        InTransaction(() =>
        {
            string now = Now();
            Execute("UPDATE nodes SET status = 'failed', finished_at = $t, seconds = $s, error = $e WHERE id = $id",
                ("$t", now), ("$s", seconds), ("$e", error), ("$id", node));
            CloseAttempt(node, "failed", seconds, error, now);
        });
    }

    /// <summary>The attempt stopped on request: the node stays running, so the next run resumes it.</summary>
    public void MarkInterrupted(string node, double seconds) =>
        InTransaction(() => CloseAttempt(node, "interrupted", seconds, null, Now()));

    /// <summary>Back to pending (its outputs were lost): the next run starts it afresh.</summary>
    public void MarkPending(string node) =>
        Execute("UPDATE nodes SET status = 'pending', error = NULL WHERE id = $id", ("$id", node));

    void CloseAttempt(string node, string outcome, double seconds, string? error, string now) =>
        Execute("""
            UPDATE node_attempts SET outcome = $o, finished_at = $t, seconds = $s, error = $e
            WHERE node = $id AND attempt = (SELECT attempts FROM nodes WHERE id = $id)
            """, ("$o", outcome), ("$t", now), ("$s", seconds), ("$e", error), ("$id", node));

    void ImportResults(string node, NodeResult result, IReadOnlyList<MetricPoint> metrics)
    {
        foreach (string table in new[] { "metrics", "eval_items", "eval_categories", "rm_eval_items", "rm_eval_subsets" })
            Execute($"DELETE FROM {table} WHERE node = $id", ("$id", node));

        if (metrics.Count > 0)
        {
            using var insert = Command("INSERT OR REPLACE INTO metrics (node, step, name, value) VALUES ($n, $s, $k, $v)");
            var (s, k, v) = (insert.Parameters.Add("$s", Microsoft.Data.Sqlite.SqliteType.Integer),
                insert.Parameters.Add("$k", Microsoft.Data.Sqlite.SqliteType.Text), insert.Parameters.Add("$v", Microsoft.Data.Sqlite.SqliteType.Real));
            insert.Parameters.AddWithValue("$n", node);
            foreach (var point in metrics)
            {
                s.Value = point.Step;
                k.Value = point.Name;
                v.Value = point.Value;
                insert.ExecuteNonQuery();
            }
        }

        if (result.Items is { } items)
        {
            using var insert = Command("INSERT INTO eval_items (node, category, item, score) VALUES ($n, $c, $i, $s)");
            var (c, i, sc) = (insert.Parameters.Add("$c", Microsoft.Data.Sqlite.SqliteType.Text),
                insert.Parameters.Add("$i", Microsoft.Data.Sqlite.SqliteType.Text), insert.Parameters.Add("$s", Microsoft.Data.Sqlite.SqliteType.Real));
            insert.Parameters.AddWithValue("$n", node);
            foreach (var item in items)
            {
                c.Value = item.Category;
                i.Value = item.ItemId;
                sc.Value = item.Score;
                insert.ExecuteNonQuery();
            }
            Execute("""
                INSERT INTO eval_categories (node, category, items, mean)
                SELECT node, category, COUNT(*), AVG(score) FROM eval_items WHERE node = $id GROUP BY node, category
                """, ("$id", node));
        }

        if (result.Verdicts is { } verdicts)
        {
            using var insert = Command("INSERT INTO rm_eval_items (node, subset, item, correct, gold_agreement) VALUES ($n, $s, $i, $c, $g)");
            var (sub, it, co, go) = (insert.Parameters.Add("$s", Microsoft.Data.Sqlite.SqliteType.Text),
                insert.Parameters.Add("$i", Microsoft.Data.Sqlite.SqliteType.Text), insert.Parameters.Add("$c", Microsoft.Data.Sqlite.SqliteType.Real),
                insert.Parameters.Add("$g", Microsoft.Data.Sqlite.SqliteType.Real));
            insert.Parameters.AddWithValue("$n", node);
            foreach (var verdict in verdicts)
            {
                sub.Value = verdict.Subset;
                it.Value = verdict.ItemId;
                co.Value = verdict.Correct;
                go.Value = verdict.GoldAgreement is double g ? g : DBNull.Value;
                insert.ExecuteNonQuery();
            }
            Execute("""
                INSERT INTO rm_eval_subsets (node, subset, items, accuracy, gold_agreement)
                SELECT node, subset, COUNT(*), AVG(correct), AVG(gold_agreement) FROM rm_eval_items WHERE node = $id GROUP BY node, subset
                """, ("$id", node));
        }
    }
}
