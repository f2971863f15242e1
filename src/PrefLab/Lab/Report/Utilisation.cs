using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Lab.Store;

namespace PrefLab.Lab.Report;

/// <summary>One stage's cost: its done nodes' own time and the model FLOPs they did (<see cref="Models.ModelFlops"/>).</summary>
/// <param name="Mfu">Model FLOPs / (seconds x the machine's measured fp32 matmul peak); null without a peak.</param>
public sealed record StageCost(string Stage, int Nodes, double Seconds, double ModelFlops, double? Mfu)
{
    public double AchievedGflops => Seconds > 0 ? ModelFlops / Seconds / 1e9 : 0;
}

/// <summary>
/// The lab's cost against the machine's limit: per stage (pretrain, sft, reward_model, each policy algorithm,
/// best_of_n, evaluation, ...) and in all, model FLOPs done / (time x the measured fp32 matmul peak), over the nodes
/// whose FLOPs were counted (run by this PrefLab; a reused or adopted node's cost belongs to the run that made it).
/// </summary>
public sealed record UtilisationFigures(double? PeakGflops, IReadOnlyList<StageCost> Stages, StageCost Total)
{
    /// <param name="gridName">Only the nodes the current runs of grids with this name use (<see cref="LabStore.GridNodes"/>);
    /// null: every grid's.</param>
    public static UtilisationFigures Compute(LabStore store, string? gridName = null)
    {
        double? peak = store.Fp32PeakGflops;
        var counted = store.GridNodes(gridName).Where(n => n.Status == NodeStatus.Done && n.ModelFlops is not null && n.Seconds is not null).ToList();
        StageCost Cost(string stage, IReadOnlyCollection<NodeState> nodes)
        {
            double seconds = nodes.Sum(n => n.Seconds!.Value), flops = nodes.Sum(n => n.ModelFlops!.Value);
            double? mfu = peak is double p && p > 0 && seconds > 0 ? flops / (seconds * p * 1e9) : null;
            return new StageCost(stage, nodes.Count, seconds, flops, mfu);
        }
        var stages = counted.GroupBy(StageOf).OrderBy(g => PipelineOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Cost(g.Key, g.ToList())).ToList();
        return new UtilisationFigures(peak, stages, Cost("all nodes", counted));
    }

    /// <summary>Stages in the order the pipeline runs them; policy algorithms (dpo, ppo, ...) between the reward
    /// models and best-of-N.</summary>
    static int PipelineOrder(string stage) => stage switch
    {
        "world" => 0, "pretrain" => 1, "sft" => 2, "reward_model" => 3, "rm_evaluation" => 4,
        "best_of_n" => 6, "evaluation" => 7, _ => 5,
    };

    /// <summary>A node's stage: its kind, and for policy nodes the algorithm that trained it (dpo, ppo, ...).</summary>
    static string StageOf(NodeState node)
    {
        if (node.Kind != "policy") return node.Kind;
        var settings = JsonNode.Parse(node.Settings) as JsonObject;
        return settings?["algorithm"]?.GetValue<string>() is string algorithm ? algorithm : node.Kind;
    }

    public JsonObject ToJson()
    {
        JsonObject Entry(StageCost s) => new()
        {
            ["nodes"] = s.Nodes, ["seconds"] = Math.Round(s.Seconds, 1), ["model_gflop"] = Math.Round(s.ModelFlops / 1e9, 1),
            ["achieved_gflops"] = Math.Round(s.AchievedGflops, 2), ["mfu"] = s.Mfu is double m ? Math.Round(m, 4) : null,
        };
        var stages = new JsonObject();
        foreach (var s in Stages) stages[s.Stage] = Entry(s);
        return new JsonObject { ["fp32_peak_gflops"] = PeakGflops is double p ? Math.Round(p, 1) : null, ["stages"] = stages, ["nodes"] = Entry(Total) };
    }

    public string ToMarkdown()
    {
        if (Stages.Count == 0) return "";
        var text = new StringBuilder();
        string peak = PeakGflops is double p ? string.Create(CultureInfo.InvariantCulture, $"{p:F0} GFLOP/s") : "not measured";
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"Cost against the machine's limit: model FLOPs done (forward 2N + attention per position, backward twice the forward) over each stage's node time and this machine's measured fp32 matmul peak ({peak}):\n\n"));
        static string Percent(double? mfu) => mfu is double m ? string.Create(CultureInfo.InvariantCulture, $"{m * 100:F1}%") : "—";
        text.Append(ReportFormat.Table(["stage", "nodes", "seconds", "model GFLOP", "GFLOP/s", "MFU"],
            Stages.Append(Total).Select(s => (IReadOnlyList<string>)[s.Stage, s.Nodes.ToString(CultureInfo.InvariantCulture),
                s.Seconds.ToString("F1", CultureInfo.InvariantCulture), (s.ModelFlops / 1e9).ToString("F0", CultureInfo.InvariantCulture),
                s.AchievedGflops.ToString("F1", CultureInfo.InvariantCulture), Percent(s.Mfu)])));
        return text.ToString();
    }
}
