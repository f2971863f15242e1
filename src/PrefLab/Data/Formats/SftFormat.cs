using System.Text.Json.Nodes;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>sft</c>: <c>messages</c> (a conversation with at least one assistant turn), or <c>prompt</c> +
/// <c>completion</c> (strings or message lists; a string prompt is a user turn, a string completion an
/// assistant turn), normalised to messages.
/// </summary>
internal sealed class SftFormat : RowFormat<SftExample>
{
    public override string Name => "sft";
    public override RecordKind Kind => RecordKind.Sft;
    public override IReadOnlyList<string[]> Signatures { get; } = [["messages"], ["prompt", "completion"]];

    /// <summary>A <c>messages</c> list that ends with a user turn is a prompt set, not demonstrations.</summary>
    internal override bool Claims(JsonObject firstRow) =>
        Json.Optional(firstRow, "completion") is not null ||
        !(Json.Optional(firstRow, "messages") is JsonArray { Count: > 0 } messages &&
          messages[^1] is JsonObject last && Json.Optional(last, "role") is { } role && Json.IsString(role) &&
          role.GetValue<string>().Equals(Roles.User, StringComparison.OrdinalIgnoreCase));

    internal override void Parse(Row row, ReadContext context, List<SftExample> output)
    {
        IReadOnlyList<Message> messages;
        if (row.Has("messages") || !row.Has("prompt"))
        {
            messages = row.Messages("messages");
            if (!messages.Any(m => m.Role == Roles.Assistant)) throw new RowError("messages", "no assistant turn to learn from");
        }
        else
        {
            var prompt = row.TextOrMessages("prompt", Roles.User);
            var completion = row.TextOrMessages("completion", Roles.Assistant);
            messages = prompt.Concat(completion).ToArray();
        }
        output.Add(RowMetadata.Apply(new SftExample(messages), row));
    }
}
