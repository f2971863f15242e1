using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>prompts</c>: <c>prompt</c> (a string: one user turn; or a message list) or <c>messages</c>. A list is
/// cut after its last user turn (a trailing assistant turn is a response, not part of the prompt); a list
/// without a user turn is malformed.
/// </summary>
internal sealed class PromptsFormat : RowFormat<PromptRecord>
{
    public override string Name => "prompts";
    public override RecordKind Kind => RecordKind.Prompts;
    public override IReadOnlyList<string[]> Signatures { get; } = [["prompt"], ["messages"]];

    internal override void Parse(Row row, ReadContext context, List<PromptRecord> output)
    {
        string field = row.Has("prompt") || !row.Has("messages") ? "prompt" : "messages";
        var messages = MessageList.UpToLastUserTurn(row.TextOrMessages(field, Roles.User));
        if (messages.Count == 0) throw new RowError(field, "no user turn");
        output.Add(RowMetadata.Apply(new PromptRecord(messages), row));
    }
}
