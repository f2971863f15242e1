using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Stats;

/// <summary>What <c>preflab data stats</c> reports about a file.</summary>
public sealed class DatasetStatistics
{
    public required ReadReport Report { get; init; }
    public required string Container { get; init; }
    /// <summary>"words" (whitespace-separated) or "tokens".</summary>
    public required string LengthUnit { get; init; }
    /// <summary>Lengths by part: pairs have prompt, chosen, rejected; SFT examples prompt (up to the last user
    /// turn) and response (the rest); prompt sets prompt; texts text. A message list's length is the sum of
    /// its contents' lengths (no chat template).</summary>
    public required IReadOnlyDictionary<string, LengthSummary> Lengths { get; init; }
    /// <summary>Mean of length(chosen) - length(rejected) over pairs: a length-bias signal.</summary>
    public double? MeanChosenMinusRejected { get; init; }
    /// <summary>Fraction of pairs whose chosen completion is strictly longer than the rejected one.</summary>
    public double? ChosenLongerFraction { get; init; }
    public double? EqualLengthFraction { get; init; }
    public required IReadOnlyDictionary<string, long> BySource { get; init; }
    public required IReadOnlyDictionary<string, long> ByCategory { get; init; }
    public required IReadOnlyDictionary<string, long> BySubset { get; init; }

    public JsonObject ToJson()
    {
        var obj = Report.ToJson();
        obj["container"] = Container;
        obj["length_unit"] = LengthUnit;
        var lengths = new JsonObject();
        foreach (var (part, summary) in Lengths) lengths[part] = summary.ToJson();
        obj["lengths"] = lengths;
        if (MeanChosenMinusRejected is double diff)
        {
            obj["mean_chosen_minus_rejected"] = Math.Round(diff, 4);
            obj["chosen_longer_fraction"] = Math.Round(ChosenLongerFraction!.Value, 4);
            obj["equal_length_fraction"] = Math.Round(EqualLengthFraction!.Value, 4);
        }
        obj["by_source"] = Counts(BySource);
        obj["by_category"] = Counts(ByCategory);
        obj["by_subset"] = Counts(BySubset);
        return obj;
    }

    static JsonObject Counts(IReadOnlyDictionary<string, long> counts)
    {
        var obj = new JsonObject();
        foreach (var (key, n) in counts) obj[key] = n;
        return obj;
    }

    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        string unit = ReadReport.Unit(Report.Kind);
        text.AppendLine(c, $"file        {Report.File} ({Report.Format}, {Container})");
        if (Report.Binarization is not null) text.AppendLine(c, $"binarized   {Report.Binarization}");
        text.AppendLine(c, $"rows        {Report.RowsRead}");
        text.AppendLine(c, $"{unit,-11} {Report.Produced}");
        if (Report.Kind == RecordKind.Pairs) text.AppendLine(c, $"ties        {Report.TiesDropped} dropped");
        AppendCounts(text, "dropped", Report.Dropped);
        AppendCounts(text, "skipped", Report.Skipped);
        AppendCounts(text, "notes", Report.Notes);
        text.AppendLine(c, $"lengths in {LengthUnit}      p50      p90      p99      max     mean");
        foreach (var (part, s) in Lengths)
            text.AppendLine(c, $"  {part,-14} {s.P50,8} {s.P90,8} {s.P99,8} {s.Max,8} {s.Mean,8:F1}");
        if (MeanChosenMinusRejected is double diff)
            text.AppendLine(c, $"length bias chosen - rejected: mean {diff:+0.0;-0.0;0.0} {LengthUnit}; chosen longer in {ChosenLongerFraction * 100:F1}% of pairs (equal length in {EqualLengthFraction * 100:F1}%)");
        AppendCounts(text, "by source", BySource);
        AppendCounts(text, "by category", ByCategory);
        AppendCounts(text, "by subset", BySubset);
        return text.ToString();
    }

    static void AppendCounts(StringBuilder text, string title, IReadOnlyDictionary<string, long> counts)
    {
        if (counts.Count == 0) return;
        text.AppendLine($"{title}:");
        foreach (var (key, n) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.AppendLine(CultureInfo.InvariantCulture, $"  {key}: {n}");
    }
}

/// <summary>Computes <see cref="DatasetStatistics"/> in one streaming pass (lengths are kept, one int each).</summary>
public static class DatasetStats
{
    public const string Words = "words";
    public const string Tokens = "tokens";

    /// <param name="length">Length of a text; null counts whitespace-separated words. A tokenizer's
    /// <c>text =&gt; tokenizer.Encode(text, addSpecialTokens: false).Count</c> gives tokens.</param>
    /// <param name="unit">What <paramref name="length"/> counts, for the output; default "words" without a
    /// length function and "tokens" with one.</param>
    public static DatasetStatistics Compute(Dataset dataset, Func<string, int>? length = null, string? unit = null)
    {
        var measure = length ?? WordCount;
        unit ??= length is null ? Words : Tokens;
        var parts = new Dictionary<string, List<int>>();
        var bySource = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var byCategory = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var bySubset = new SortedDictionary<string, long>(StringComparer.Ordinal);
        double differenceSum = 0;
        long longer = 0, equal = 0, pairs = 0;

        var records = dataset.Records();
        foreach (var record in records)
        {
            switch (record)
            {
                case PreferencePair pair:
                    int chosen = Length(pair.Chosen), rejected = Length(pair.Rejected);
                    Add("prompt", Length(pair.Prompt));
                    Add("chosen", chosen);
                    Add("rejected", rejected);
                    pairs++;
                    differenceSum += chosen - rejected;
                    if (chosen > rejected) longer++;
                    else if (chosen == rejected) equal++;
                    break;
                case UnpairedExample unpaired:
                    Add("prompt", Length(unpaired.Prompt));
                    Add(unpaired.Desirable ? "desirable" : "undesirable", Length(unpaired.Completion));
                    break;
                case SftExample example:
                    var prompt = MessageList.UpToLastUserTurn(example.Messages);
                    Add("prompt", Length(prompt));
                    Add("response", Length(example.Messages.Skip(prompt.Count).ToArray()));
                    break;
                case PromptRecord promptRecord:
                    Add("prompt", Length(promptRecord.Messages));
                    break;
                case TextRecord text:
                    Add("text", measure(text.Text));
                    break;
            }
            Count(bySource, record.Source);
            Count(byCategory, record.Category);
            Count(bySubset, record.Subset);
        }

        return new DatasetStatistics
        {
            Report = records.Report,
            Container = dataset.Container,
            LengthUnit = unit,
            Lengths = parts.ToDictionary(kv => kv.Key, kv => LengthSummary.Of(kv.Value)),
            MeanChosenMinusRejected = dataset.Kind == RecordKind.Pairs ? (pairs == 0 ? 0 : differenceSum / pairs) : null,
            ChosenLongerFraction = dataset.Kind == RecordKind.Pairs ? (pairs == 0 ? 0 : (double)longer / pairs) : null,
            EqualLengthFraction = dataset.Kind == RecordKind.Pairs ? (pairs == 0 ? 0 : (double)equal / pairs) : null,
            BySource = bySource,
            ByCategory = byCategory,
            BySubset = bySubset,
        };

        int Length(IReadOnlyList<Message> messages) => messages.Sum(m => measure(m.Content));

        void Add(string part, int value)
        {
            if (!parts.TryGetValue(part, out var list)) parts[part] = list = [];
            list.Add(value);
        }
    }

    static void Count(SortedDictionary<string, long> counts, string? key)
    {
        if (key is null) return;
        counts[key] = counts.TryGetValue(key, out long n) ? n + 1 : 1;
    }

    /// <summary>Whitespace-separated words.</summary>
    public static int WordCount(string text)
    {
        int count = 0;
        bool inWord = false;
        foreach (char ch in text)
        {
            bool space = char.IsWhiteSpace(ch);
            if (!space && !inWord) count++;
            inWord = !space;
        }
        return count;
    }
}
