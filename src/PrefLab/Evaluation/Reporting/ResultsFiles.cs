using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using PrefLab.Evaluation.Harness;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Reporting;

/// <summary>
/// Writes a run's outputs into a folder, each file atomically: results.json (settings, models, suites, per-category
/// scores with intervals, deltas and secondary metrics, the average), items.jsonl (one compact object per model and
/// item: model, suite, category, item_id, prompt, response, score, metrics, then the suite's extra fields), report.md
/// (the tables and the plots) and plots/*.png (<see cref="ResultsPlots"/>).
/// </summary>
public static class ResultsFiles
{
    public const string ResultsFile = "results.json";
    public const string ItemsFile = "items.jsonl";
    public const string ReportFile = "report.md";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes every output; returns the plot files written.</summary>
    public static IReadOnlyList<string> Write(EvaluationResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ResultsFile), Results(result).ToJsonString(Indented) + "\n");
        AtomicFile.WriteAllText(Path.Combine(folder, ItemsFile), Items(result));
        var plots = ResultsPlots.Write(result, Path.Combine(folder, ResultsPlots.Folder));
        AtomicFile.WriteAllText(Path.Combine(folder, ReportFile), Report(result, plots.Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/')).ToList()));
        return plots;
    }

    public static JsonObject Results(EvaluationResult result)
    {
        var options = result.Options;
        return new JsonObject
        {
            ["created"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["models"] = new JsonArray(result.Models.Select(m => (JsonNode)new JsonObject
            {
                ["label"] = m.Label,
                ["path"] = m.Path,
                ["fingerprint"] = m.Fingerprint,
                ["generation"] = new JsonObject { ["requested"] = m.Generation.Requested, ["from_cache"] = m.Generation.FromCache, ["generated"] = m.Generation.Generated },
            }).ToArray()),
            ["suites"] = new JsonArray(result.Suites.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["source"] = s.Source,
                ["score"] = s.Headline,
                ["categories"] = Strings(s.Categories),
                ["notes"] = Strings(s.Notes),
            }).ToArray()),
            ["settings"] = new JsonObject
            {
                ["limit"] = options.Limit,
                ["few_shot"] = options.FewShotCount,
                ["few_shot_file"] = options.FewShotFile,
                ["chat_format"] = options.ChatFormat,
                ["raw"] = options.Raw,
                ["max_new_tokens"] = options.MaxNewTokens,
                ["temperature"] = options.Temperature,
                ["top_p"] = options.TopP,
                ["top_k"] = options.TopK,
                ["seed"] = options.Seed,
                ["batch_size"] = options.BatchSize,
                ["mc_scoring"] = options.ChoiceScoring.ToString().ToLowerInvariant(),
                ["mc_normalization"] = options.Normalization?.ToString(),
                ["refusal_match"] = options.RefusalMatch.ToString().ToLowerInvariant(),
                ["judge"] = options.Judge,
                ["world"] = options.World,
                ["cache"] = options.CacheDirectory,
                ["bootstrap"] = new JsonObject
                {
                    ["resamples"] = options.Bootstrap.Resamples,
                    ["confidence"] = options.Bootstrap.Confidence,
                    ["seed"] = options.Bootstrap.Seed,
                },
            },
            ["average_definition"] = "mean of the category means (each category counts once); interval and deltas from the item bootstrap with items weighted N / (C * n_category)",
            ["delta_definition"] = result.Models.Count > 1 ? $"model minus {result.Models[0].Label} on the same items, paired bootstrap" : null,
            ["categories"] = new JsonArray(result.Summary.Categories.Select(c => (JsonNode)Category(c, result)).ToArray()),
            ["average"] = Category(result.Summary.Average, result),
        };
    }

    static JsonObject Category(CategoryScores category, EvaluationResult result)
    {
        var labels = result.Models.Select(m => m.Label).ToList();
        var scores = new JsonObject();
        var deltas = new JsonObject();
        var metrics = new JsonObject();
        for (int m = 0; m < labels.Count; m++)
        {
            scores[labels[m]] = Json(category.ByModel[m]);
            if (category.DeltaFromFirst[m] is Estimate delta) deltas[labels[m]] = Json(delta);
            if (category.MetricsByModel[m].Count > 0)
            {
                var mine = new JsonObject();
                foreach (var metric in category.MetricsByModel[m])
                {
                    var value = Json(metric.Value);
                    if (!metric.HasInterval) { value.Remove("lower"); value.Remove("upper"); }
                    value["description"] = metric.Description;
                    mine[metric.Name] = value;
                }
                metrics[labels[m]] = mine;
            }
        }
        var node = new JsonObject { ["category"] = category.Category, ["suite"] = category.Suite, ["n"] = category.Items, ["scores"] = scores };
        if (labels.Count > 1) node["deltas"] = deltas;
        if (metrics.Count > 0) node["metrics"] = metrics;
        return node;
    }

    static JsonObject Json(Estimate estimate) => new()
    {
        ["mean"] = Finite(estimate.Mean),
        ["lower"] = Finite(estimate.Lower),
        ["upper"] = Finite(estimate.Upper),
        ["n"] = estimate.N,
    };

    static JsonNode? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    /// <summary>items.jsonl's text: every model's items, model by model, in case order.</summary>
    public static string Items(EvaluationResult result)
    {
        var text = new StringBuilder();
        foreach (var model in result.Models)
            foreach (var item in model.Items)
            {
                var row = new JsonObject
                {
                    ["model"] = model.Label,
                    ["suite"] = item.Suite,
                    ["category"] = item.Category,
                    ["item_id"] = item.ItemId,
                    ["prompt"] = item.Prompt,
                    ["response"] = item.Response,
                    ["score"] = item.Score,
                    ["metrics"] = new JsonObject(item.Metrics.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value))),
                };
                foreach (var (name, value) in item.Fields)
                    if (!row.ContainsKey(name)) row[name] = value?.DeepClone();
                text.Append(row.ToJsonString(Compact)).Append('\n');
            }
        return text.ToString();
    }

    public static string Report(EvaluationResult result, IReadOnlyList<string> plots)
    {
        var text = new StringBuilder();
        text.Append("# Evaluation report\n\n");
        text.Append("## Models\n\n| label | folder | fingerprint | generated | from cache |\n|---|---|---|---:|---:|\n");
        foreach (var m in result.Models)
            text.Append(CultureInfo.InvariantCulture, $"| {m.Label} | `{m.Path}` | `{m.Fingerprint[..12]}` | {m.Generation.Generated} | {m.Generation.FromCache} |\n");
        text.Append("\n## Suites\n\n");
        foreach (var suite in result.Suites)
        {
            text.Append(CultureInfo.InvariantCulture, $"- **{suite.Name}** (`{suite.Source}`): {suite.Headline}.\n");
            foreach (string note in suite.Notes) text.Append(CultureInfo.InvariantCulture, $"  - {note}\n");
        }
        var o = result.Options;
        text.Append(CultureInfo.InvariantCulture,
            $"\nDecoding: {(o.IsGreedy ? "greedy" : $"temperature {o.Temperature}, top-p {o.TopP?.ToString(CultureInfo.InvariantCulture) ?? "off"}, top-k {o.TopK?.ToString(CultureInfo.InvariantCulture) ?? "off"}, seed {o.Seed}")}; " +
            $"max new tokens {(o.MaxNewTokens?.ToString(CultureInfo.InvariantCulture) ?? "the suite's default")}; " +
            $"prompts {(o.Raw ? "as raw text" : $"in the {o.ChatFormat ?? "model's own"} chat format")}" +
            $"{(o.Limit is int limit ? $"; at most {limit} items a category" : "")}.\n");
        text.Append("\n## Scores\n\n").Append(ResultsTable.Scores(result, markdown: true)).Append('\n');
        foreach (string line in ResultsTable.Legend(result)) text.Append("- ").Append(line).Append('\n');
        string metrics = ResultsTable.Metrics(result, markdown: true);
        if (metrics.Length > 0)
        {
            text.Append("\n## Details\n\n").Append(metrics).Append('\n');
            foreach (string line in ResultsTable.MetricLegend(result)) text.Append("- ").Append(line).Append('\n');
        }
        if (plots.Count > 0)
        {
            text.Append("\n## Plots\n\n");
            foreach (string plot in plots) text.Append(CultureInfo.InvariantCulture, $"![{Path.GetFileNameWithoutExtension(plot)}]({plot})\n\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"Per-item results: `{ItemsFile}`; numbers: `{ResultsFile}`.\n");
        return text.ToString();
    }
}
