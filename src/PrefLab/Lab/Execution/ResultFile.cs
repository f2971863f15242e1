using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Lab.Execution;

/// <summary>
/// <c>lab-result.json</c>: written atomically into a node's folder when it finishes, so the folder alone says the node
/// is complete and holds its results (a lost store can be rebuilt from the work folders: a later run adopts them).
/// </summary>
public static class ResultFile
{
    public const string FileName = "lab-result.json";

    public static void Write(string folder, string nodeId, string kind, NodeResult result)
    {
        var obj = new JsonObject { ["node"] = nodeId, ["kind"] = kind };
        if (result.Items is { } items)
            obj["items"] = new JsonArray(items.Select(i => (JsonNode?)new JsonObject
            {
                ["category"] = i.Category, ["item"] = i.ItemId, ["score"] = i.Score,
            }).ToArray());
        if (result.Verdicts is { } verdicts)
            obj["verdicts"] = new JsonArray(verdicts.Select(v => (JsonNode?)new JsonObject
            {
                ["subset"] = v.Subset, ["item"] = v.ItemId, ["correct"] = v.Correct, ["gold_agreement"] = v.GoldAgreement,
            }).ToArray());
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), obj.ToJsonString(JsonOptions.Compact) + "\n");
    }

    /// <summary>The result recorded in <paramref name="folder"/> for <paramref name="nodeId"/>, or null when the folder
    /// holds no finished result of that node.</summary>
    public static NodeResult? Read(string folder, string nodeId)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            return null;
        }
        if (obj["node"]?.GetValue<string>() != nodeId) return null;
        var items = (obj["items"] as JsonArray)?.Select(i => new ItemScore(
            i!["category"]!.GetValue<string>(), i["item"]!.GetValue<string>(), i["score"]!.GetValue<double>())).ToList();
        var verdicts = (obj["verdicts"] as JsonArray)?.Select(v => new PairVerdict(
            v!["subset"]!.GetValue<string>(), v["item"]!.GetValue<string>(), v["correct"]!.GetValue<double>(),
            v["gold_agreement"]?.GetValue<double>())).ToList();
        return new NodeResult { Items = items, Verdicts = verdicts };
    }

    public static bool Exists(string folder, string nodeId) => Read(folder, nodeId) is not null;
}
