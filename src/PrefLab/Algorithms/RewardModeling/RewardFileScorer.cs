using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Formats;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Rewards;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>What rows a scoring input holds.</summary>
public enum ScoreInputKind
{
    /// <summary><c>prompt</c> (text or messages) and <c>response</c> (or <c>completion</c>) text: one reward a row.</summary>
    PromptResponse,
    /// <summary><c>messages</c> ending with an assistant turn: the last turn is scored, one reward a row.</summary>
    Conversation,
    /// <summary>Any preference format: both sides scored, <c>chosen_reward</c> and <c>rejected_reward</c> a pair.</summary>
    Pairs,
}

/// <summary>What a pass of <see cref="RewardFileScorer.Rows"/> did; complete once its enumeration ends.</summary>
public sealed class ScoreFileReport(string input, ScoreInputKind kind)
{
    public string Input { get; } = input;
    public ScoreInputKind Kind { get; } = kind;
    /// <summary>Output rows written (pairs for <see cref="ScoreInputKind.Pairs"/>, input rows otherwise).</summary>
    public long Rows { get; internal set; }
    /// <summary>Responses scored.</summary>
    public long Scored { get; internal set; }
    /// <summary>Malformed rows skipped (with skip-bad-rows), by reason.</summary>
    public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);
    /// <summary>Tokenization: responses kept, and dropped (reward null) by reason.</summary>
    public CollationReport Tokenization { get; } = new();
    /// <summary>The data layer's report for preference formats.</summary>
    public ReadReport? Read { get; internal set; }
    /// <summary>Sum and sum of squares of the raw rewards written, for a mean and std in the summary.</summary>
    internal double RawSum, RawSumSquares;
    public double? RawMean => Scored > 0 ? RawSum / Scored : null;
    public double? RawStd => Scored > 0 ? Math.Sqrt(Math.Max(0, RawSumSquares / Scored - RawSum / Scored * (RawSum / Scored))) : null;

    public JsonObject ToJson()
    {
        var skipped = new JsonObject();
        foreach (var (reason, n) in Skipped.OrderBy(p => p.Key, StringComparer.Ordinal)) skipped[reason] = n;
        return new JsonObject
        {
            ["input"] = Input,
            ["kind"] = Kind.ToString(),
            ["rows"] = Rows,
            ["scored"] = Scored,
            ["unscored"] = Tokenization.DroppedTotal,
            ["tokenization"] = Tokenization.ToJson(),
            ["skipped"] = skipped,
            ["read"] = Read?.ToJson(),
            ["raw_mean"] = RawMean,
            ["raw_std"] = RawStd,
        };
    }
}

/// <summary>
/// Scores a file with a reward model, streaming: rows are read, scored in windows of a few batches (sorted by
/// length inside the window, so memory stays bounded by the window whatever the file's size) and handed out
/// in input order. Prompt/response and conversation rows come back whole with <c>reward</c> added; pairs as
/// <c>{id, line, category, source, subset, chosen_reward, rejected_reward}</c>. When the model carries a
/// normalisation, <c>reward</c> fields are normalised and <c>*_raw</c> fields hold the head's output. A response
/// that does not fit the model's length gets a null reward and is counted.
/// </summary>
public static class RewardFileScorer
{
    /// <summary>Batches per scoring window.</summary>
    public const int WindowBatches = 8;

    /// <summary>The scored rows of <paramref name="input"/>, lazily (write them with <see cref="JsonlWriter"/>); the
    /// kind is settled before the first row (malformed input is a <see cref="UserError"/> here).</summary>
    public static IEnumerable<JsonObject> Rows(RewardModel model, string input, ReadOptions read, out ScoreFileReport report)
    {
        var kind = DetectKind(input, read);
        report = new ScoreFileReport(Path.GetFullPath(input), kind);
        var items = kind == ScoreInputKind.Pairs ? PairItems(input, read, report) : RowItems(input, kind, read, report);
        return Score(model, items, report);
    }

    /// <summary>Raw rewards of every response in <paramref name="input"/> (both sides of pairs), e.g. policy
    /// samples to fit a <see cref="RewardNormalization"/> on; responses that do not fit are left out and counted.</summary>
    public static List<double> RawRewards(RewardModel model, string input, ReadOptions read, out ScoreFileReport report)
    {
        var rewards = new List<double>();
        var kind = DetectKind(input, read);
        report = new ScoreFileReport(Path.GetFullPath(input), kind);
        var items = kind == ScoreInputKind.Pairs ? PairItems(input, read, report) : RowItems(input, kind, read, report);
        foreach (var window in Windows(items, model.Options.BatchSize * WindowBatches))
            foreach (var score in ScoreWindow(model, window, report))
                if (score is double s) rewards.Add(s);
        return rewards;
    }

    /// <summary>One output row and the conversations it needs scored (their rewards go in <see cref="Fields"/>).</summary>
    sealed record Item(JsonObject Row, IReadOnlyList<IReadOnlyList<Message>> Conversations, IReadOnlyList<string> Fields);

    static IEnumerable<JsonObject> Score(RewardModel model, IEnumerable<Item> items, ScoreFileReport report)
    {
        var normalizer = model.Normalizer;
        bool normalized = model.IsNormalized;
        foreach (var window in Windows(items, model.Options.BatchSize * WindowBatches))
        {
            var scores = ScoreWindow(model, window, report);
            int at = 0;
            foreach (var item in window)
            {
                for (int k = 0; k < item.Fields.Count; k++, at++)
                {
                    double? raw = scores[at];
                    item.Row[item.Fields[k]] = raw is double r ? normalizer.Apply(r) : null;
                    if (normalized) item.Row[item.Fields[k] + "_raw"] = raw;
                }
                report.Rows++;
                yield return item.Row;
            }
        }
    }

    static double?[] ScoreWindow(RewardModel model, List<Item> window, ScoreFileReport report)
    {
        var conversations = window.SelectMany(i => i.Conversations).ToList();
        var scores = model.TryScoreRaw(conversations, report.Tokenization);
        foreach (var s in scores)
            if (s is double r)
            {
                report.Scored++;
                report.RawSum += r;
                report.RawSumSquares += r * r;
            }
        return scores;
    }

    static IEnumerable<List<Item>> Windows(IEnumerable<Item> items, int size)
    {
        var window = new List<Item>(size);
        foreach (var item in items)
        {
            window.Add(item);
            if (window.Count >= size)
            {
                yield return window;
                window = new List<Item>(size);
            }
        }
        if (window.Count > 0) yield return window;
    }

    /// <summary>From the first readable row: a <c>response</c> or <c>completion</c> field makes prompt/response rows, a
    /// <c>messages</c> field without pair fields a conversation; anything else must be a preference format.</summary>
    static ScoreInputKind DetectKind(string input, ReadOptions read)
    {
        if (read.Format is not null)
        {
            var format = DataFormats.Get(read.Format);
            if (format.Kind == RecordKind.Pairs) return ScoreInputKind.Pairs;
            throw UserError.InOption("format", $"rm score reads prompt/response rows, conversations (messages) or preference pairs; format {format.Name} holds {ReadReport.Unit(format.Kind)} (leave --format out for prompt/response rows)");
        }
        var source = RowSource.Open(input);
        foreach (var row in source.Rows())
        {
            if (row.Problem is not null)
            {
                if (read.SkipBadRows) continue;
                throw row.Location.Error(row.Problem.Field, row.Problem.What);
            }
            bool pairFields = row.Has("chosen") || row.Has("rejected") || row.Has("completions") || row.Has("answers") || row.Has("conversation_a");
            if (!pairFields && (row.Has("response") || row.Has("completion"))) return ScoreInputKind.PromptResponse;
            if (!pairFields && row.Has("messages")) return ScoreInputKind.Conversation;
            var dataset = Dataset.Open(input, read);
            if (dataset.Kind == RecordKind.Pairs) return ScoreInputKind.Pairs;
            throw new UserError($"{input}: holds {ReadReport.Unit(dataset.Kind)} (format {dataset.Format.Name}); rm score reads prompt/response rows ({{\"prompt\", \"response\"}}), conversations ({{\"messages\"}} ending with an assistant turn) or preference pairs");
        }
        throw new UserError($"{input}: no rows to score");
    }

    static IEnumerable<Item> RowItems(string input, ScoreInputKind kind, ReadOptions read, ScoreFileReport report)
    {
        foreach (var row in RowSource.Open(input).Rows())
        {
            Item? item = null;
            RowError? problem = row.Problem;
            if (problem is null)
            {
                try
                {
                    var conversation = kind == ScoreInputKind.PromptResponse ? PromptResponse(row) : Conversation(row);
                    item = new Item(row.Fields, [conversation], ["reward"]);
                }
                catch (RowError e)
                {
                    problem = e;
                }
            }
            if (problem is not null)
            {
                if (!read.SkipBadRows) throw row.Location.Error(problem.Field, problem.What);
                report.Skipped[problem.ReasonKey] = report.Skipped.GetValueOrDefault(problem.ReasonKey) + 1;
                continue;
            }
            yield return item!;
        }
    }

    static IReadOnlyList<Message> PromptResponse(Row row)
    {
        var prompt = row.TextOrMessages("prompt", Roles.User);
        string field = row.Has("response") ? "response" : "completion";
        string response = row.String(field);
        return [.. prompt, Message.Assistant(response)];
    }

    static IReadOnlyList<Message> Conversation(Row row)
    {
        var messages = row.Messages("messages");
        if (messages.Count == 0 || messages[^1].Role != Roles.Assistant)
            throw new RowError("messages", "the last turn must be the assistant's response to score");
        return messages;
    }

    static IEnumerable<Item> PairItems(string input, ReadOptions read, ScoreFileReport report)
    {
        var pairs = DatasetReader.ReadPairs(input, read);
        report.Read = pairs.Report;
        foreach (var pair in pairs)
        {
            report.Read = pairs.Report;
            var row = new JsonObject
            {
                ["id"] = pair.Id,
                ["line"] = pair.Origin?.Line,
                ["category"] = pair.Category,
                ["source"] = pair.Source,
                ["subset"] = pair.Subset,
            };
            yield return new Item(row, [pair.ChosenConversation, pair.RejectedConversation], ["chosen_reward", "rejected_reward"]);
        }
        report.Read = pairs.Report;
    }
}
