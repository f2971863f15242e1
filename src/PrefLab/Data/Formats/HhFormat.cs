using System.Text.Json.Nodes;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>hh</c> (Anthropic HH-RLHF): <c>chosen</c> and <c>rejected</c> are whole transcripts. The prompt is every
/// turn before the final assistant turn, which must be the same in both; the completions are the final
/// assistant turns. A transcript that does not end with an assistant turn, or whose prefix differs from the
/// other's, is a malformed row.
/// </summary>
internal sealed class HhFormat : RowFormat<PreferencePair>
{
    public override string Name => "hh";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["chosen", "rejected"]];

    internal override bool Claims(JsonObject firstRow) =>
        Json.Optional(firstRow, "prompt") is null && Json.IsString(Json.Optional(firstRow, "chosen"));

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        var chosen = Split(row, "chosen");
        var rejected = Split(row, "rejected");
        if (!MessageList.SequenceEqual(chosen.Prompt, rejected.Prompt))
            throw new RowError("rejected", "the transcript differs from chosen before the final assistant turn");
        var pair = RowMetadata.Apply(new PreferencePair(chosen.Prompt, [chosen.Final], [rejected.Final]), row);
        if (chosen.Final == rejected.Final) context.DropPair(Drops.Identical, pair, output);
        else output.Add(pair);
    }

    static (IReadOnlyList<Message> Prompt, Message Final) Split(Row row, string field)
    {
        var messages = HhTranscript.Parse(row.String(field), field);
        if (messages[^1].Role != Roles.Assistant)
            throw new RowError(field, "the transcript does not end with an assistant turn");
        var prompt = messages.Take(messages.Count - 1).ToArray();
        if (!prompt.Any(m => m.Role == Roles.User))
            throw new RowError(field, "no Human turn before the final assistant turn");
        return (prompt, messages[^1]);
    }
}
