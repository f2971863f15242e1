using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Lab.Store;

namespace PrefLab.Lab.Report;

/// <summary>One stage's cost: its done nodes' own time and the model FLOPs they did (<see cref="Models.ModelFlops"/>).</summary>
/// <param name="Mfu">Model FLOPs / (seconds x the machine's measured matmul peak at each node's precision); null without a peak.</param>
public sealed record StageCost(string Stage, int Nodes, double Seconds, double ModelFlops, double? Mfu)
{
    public double AchievedGflops => Seconds > 0 ? ModelFlops / Seconds / 1e9 : 0;
}

/// <summary>
/// The lab's cost against the machine's limit: per stage (pretrain, sft, reward_model, each policy algorithm,
/// best_of_n, evaluation, ...) and in all, model FLOPs done / (time x the measured matmul peak), over the nodes
/// whose FLOPs were counted (run by this PrefLab; a reused or adopted node's cost belongs to the run that made it).
/// A node that ran bf16 products (<c>precision: bf16</c>) is measured against the bf16 peak, the others against fp32's.
/// </summary>
/// <param name="PeakGflops">The fp32 peak.</param>
/// <param name="Bf16PeakGflops">The bf16 peak, measured when bf16 nodes ran; null otherwise.</param>
public sealed record UtilisationFigures(double? PeakGflops, IReadOnlyList<StageCost> Stages, StageCost Total, double? Bf16PeakGflops = null)
{
    /// <summary>The node-time-weighted peak of the counted nodes (the fp32 peak when every node ran fp32): the
    /// denominator a whole run's utilisation is stated against.</summary>
    public double? EffectivePeakGflops { get; init; }

    /// <param name="gridName">Only the nodes the current runs of grids with this name use (<see cref="LabStore.GridNodes"/>);
    /// null: every grid's.</param>
    public static UtilisationFigures Compute(LabStore store, string? gridName = null)
    {
        double? peak = store.Fp32PeakGflops, bf16Peak = store.PeakGflops(Models.Layers.LinearPrecision.Bf16);
        // Each counted node with the peak of its precision (its settings parsed once).
        var counted = store.GridNodes(gridName).Where(n => n.Status == NodeStatus.Done && n.ModelFlops is not null && n.Seconds is not null)
            .Select(n =>
            {
                bool bf16 = n.Precision == Models.Layers.LinearPrecision.Bf16;
                return (Node: n, Bf16: bf16, Peak: bf16 ? bf16Peak : peak);
            }).ToList();
        // Σ seconds × peak over the nodes: a stage's capacity, so mixed-precision stages divide by what they could have done.
        static double? Capacity(IReadOnlyCollection<(NodeState Node, bool Bf16, double? Peak)> nodes) =>
            nodes.All(n => n.Peak is > 0) ? nodes.Sum(n => n.Node.Seconds!.Value * n.Peak!.Value * 1e9) : null;
        StageCost Cost(string stage, IReadOnlyCollection<(NodeState Node, bool Bf16, double? Peak)> nodes)
        {
            double seconds = nodes.Sum(n => n.Node.Seconds!.Value), flops = nodes.Sum(n => n.Node.ModelFlops!.Value);
            double? mfu = Capacity(nodes) is double c && c > 0 ? flops / c : null;
            return new StageCost(stage, nodes.Count, seconds, flops, mfu);
        }
        var stages = counted.GroupBy(n => StageOf(n.Node)).OrderBy(g => PipelineOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Cost(g.Key, g.ToList())).ToList();
        var total = Cost("all nodes", counted);
        double? effective = Capacity(counted) is double capacity && total.Seconds > 0 ? capacity / total.Seconds / 1e9 : peak;
        return new UtilisationFigures(peak, stages, total, counted.Any(n => n.Bf16) ? bf16Peak : null) { EffectivePeakGflops = effective };
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
        var json = new JsonObject { ["fp32_peak_gflops"] = PeakGflops is double p ? Math.Round(p, 1) : null };
        if (Bf16PeakGflops is double b) json["bf16_peak_gflops"] = Math.Round(b, 1);
        json["stages"] = stages;
        json["nodes"] = Entry(Total);
        return json;
    }

    public string ToMarkdown()
    {
        if (Stages.Count == 0) return "";
        var text = new StringBuilder();
        string peak = PeakGflops is double p ? string.Create(CultureInfo.InvariantCulture, $"{p:F0} GFLOP/s") : "not measured";
        string bf16 = Bf16PeakGflops is double b
            ? string.Create(CultureInfo.InvariantCulture, $"; nodes that ran bf16 products against its bf16 peak ({b:F0} GFLOP/s)")
            : "";
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"Cost against the machine's limit: model FLOPs done (forward 2N + attention per position, backward twice the forward) over each stage's node time and this machine's measured fp32 matmul peak ({peak}){bf16}:\n\n"));
        static string Percent(double? mfu) => mfu is double m ? string.Create(CultureInfo.InvariantCulture, $"{m * 100:F1}%") : "—";
        text.Append(ReportFormat.Table(["stage", "nodes", "seconds", "model GFLOP", "GFLOP/s", "MFU"],
            Stages.Append(Total).Select(s => (IReadOnlyList<string>)[s.Stage, s.Nodes.ToString(CultureInfo.InvariantCulture),
                s.Seconds.ToString("F1", CultureInfo.InvariantCulture), (s.ModelFlops / 1e9).ToString("F0", CultureInfo.InvariantCulture),
                s.AchievedGflops.ToString("F1", CultureInfo.InvariantCulture), Percent(s.Mfu)])));
        return text.ToString();
    }
}
