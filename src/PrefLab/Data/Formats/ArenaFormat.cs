using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>arena</c> (lmsys/chatbot_arena_conversations): <c>conversation_a</c>, <c>conversation_b</c> (message
/// lists) and <c>winner</c>: <c>model_a</c>, <c>model_b</c>, <c>tie</c> or <c>tie (bothbad)</c>. The prompt is
/// the two conversations' longest common prefix (the first user turn; in multi-turn battles the later turns
/// stay in the completions). Ties are dropped and counted. The battle's <c>question_id</c> is the pair's id.
/// </summary>
internal sealed class ArenaFormat : RowFormat<PreferencePair>
{
    public override string Name => "arena";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["conversation_a", "conversation_b", "winner"]];

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        var a = row.Messages("conversation_a");
        var b = row.Messages("conversation_b");
        string winner = row.String("winner");
        bool tie = winner is "tie" or "tie (bothbad)";
        if (!tie && winner is not ("model_a" or "model_b"))
            throw new RowError("winner", "expected model_a, model_b, tie or tie (bothbad)", $"found '{winner}'");
        var (prompt, completionA, completionB) = PairwiseFormat.SplitSharedPrefix(a, b, "conversation_a", "conversation_b");
        var pair = RowMetadata.Apply(winner == "model_b"
            ? new PreferencePair(prompt, completionB, completionA)
            : new PreferencePair(prompt, completionA, completionB), row);
        if (tie) context.Tie(pair, output);
        else if (completionA.Count == 0) context.DropPair(Drops.Identical, pair, output);
        else output.Add(pair);
    }
}
