using System.Text.Json.Nodes;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>pairwise</c>: <c>prompt</c>, <c>chosen</c>, <c>rejected</c> as strings (TRL's standard form) or message
/// lists (conversational). Without <c>prompt</c>, chosen and rejected must be message lists and the prompt is
/// their longest common prefix. When a prompt is given and both lists repeat it at their start (as
/// HuggingFaceH4/ultrafeedback_binarized does), it is removed from them. A <c>margin</c> field, or
/// <c>score_chosen</c> and <c>score_rejected</c>, give the pair's margin.
/// </summary>
internal sealed class PairwiseFormat : RowFormat<PreferencePair>
{
    public override string Name => "pairwise";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["prompt", "chosen", "rejected"], ["chosen", "rejected"]];

    internal override bool Claims(JsonObject firstRow) =>
        Json.Optional(firstRow, "prompt") is not null || Json.Optional(firstRow, "chosen") is JsonArray;

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        IReadOnlyList<Message> prompt, chosen, rejected;
        if (row.Has("prompt"))
        {
            prompt = row.TextOrMessages("prompt", Roles.User);
            chosen = row.TextOrMessages("chosen", Roles.Assistant);
            rejected = row.TextOrMessages("rejected", Roles.Assistant);
            if (chosen.Count > prompt.Count && rejected.Count > prompt.Count &&
                MessageList.StartsWith(chosen, prompt) && MessageList.StartsWith(rejected, prompt))
            {
                chosen = chosen.Skip(prompt.Count).ToArray();
                rejected = rejected.Skip(prompt.Count).ToArray();
            }
        }
        else
        {
            var chosenNode = row.Required("chosen");
            if (chosenNode is not JsonArray)
                throw new RowError("prompt", "missing (it may be left out only when chosen and rejected are message lists)");
            var wholeChosen = Json.Messages(chosenNode, "chosen");
            var wholeRejected = row.Messages("rejected");
            (prompt, chosen, rejected) = SplitSharedPrefix(wholeChosen, wholeRejected, "chosen", "rejected");
        }
        var pair = RowMetadata.Apply(new PreferencePair(prompt, chosen, rejected) { Margin = Margin(row) }, row);
        if (MessageList.SequenceEqual(chosen, rejected)) context.DropPair(Drops.Identical, pair, output);
        else output.Add(pair);
    }

    /// <summary>Splits two whole conversations into their shared prompt (longest common prefix) and the two
    /// completions after it. Identical conversations give two empty completions.</summary>
    internal static (IReadOnlyList<Message> Prompt, IReadOnlyList<Message> A, IReadOnlyList<Message> B) SplitSharedPrefix(
        IReadOnlyList<Message> a, IReadOnlyList<Message> b, string fieldA, string fieldB)
    {
        int shared = MessageList.CommonPrefixLength(a, b);
        if (shared == a.Count && shared == b.Count) return (a, Array.Empty<Message>(), Array.Empty<Message>());
        if (shared == 0)
            throw new RowError(fieldB, $"no shared prompt: {fieldA} and {fieldB} differ from their first message");
        if (shared == a.Count) throw new RowError(fieldA, $"nothing after the prompt it shares with {fieldB}");
        if (shared == b.Count) throw new RowError(fieldB, $"nothing after the prompt it shares with {fieldA}");
        return (a.Take(shared).ToArray(), a.Skip(shared).ToArray(), b.Skip(shared).ToArray());
    }

    static double? Margin(Row row)
    {
        if (row.OptionalNumber("margin") is double margin) return margin;
        double? chosen = row.OptionalNumber("score_chosen"), rejected = row.OptionalNumber("score_rejected");
        return chosen is double c && rejected is double r ? c - r : null;
    }
}

/// <summary>Reasons for well-formed input that yields nothing.</summary>
internal static class Drops
{
    public const string Identical = "chosen and rejected identical";
    public const string NoScore = "response without a score";
    public const string NoUserTurn = "no user turn";
    public const string DuplicatePrompt = "duplicate prompt";
}
