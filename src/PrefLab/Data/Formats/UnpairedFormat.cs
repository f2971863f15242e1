using System.Text.Json;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>unpaired</c>: TRL's unpaired preference format (KTO's data): <c>prompt</c>, <c>completion</c> and a boolean
/// <c>label</c> (true: desirable). Prompt and completion are strings (a user turn and an assistant turn) or message
/// lists (conversational); a completion list that repeats the prompt at its start has it removed, as in
/// <c>pairwise</c>. The completion must end with an assistant turn. Its <c>prompt</c> + <c>completion</c> fields are
/// also SFT's; the <c>label</c> makes it preference data, which detection prefers.
/// </summary>
internal sealed class UnpairedFormat : RowFormat<UnpairedExample>
{
    public override string Name => "unpaired";
    public override RecordKind Kind => RecordKind.Unpaired;
    public override IReadOnlyList<string[]> Signatures { get; } = [["prompt", "completion", "label"]];

    internal override void Parse(Row row, ReadContext context, List<UnpairedExample> output)
    {
        var prompt = row.TextOrMessages("prompt", Roles.User);
        var completion = row.TextOrMessages("completion", Roles.Assistant);
        var label = row.Required("label");
        bool desirable = label.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RowError("label", "expected true (desirable) or false (undesirable)", Json.Found(label)),
        };
        if (completion.Count > prompt.Count && MessageList.StartsWith(completion, prompt))
            completion = completion.Skip(prompt.Count).ToArray();
        if (completion.Count == 0) throw new RowError("completion", "empty: no assistant turn to score");
        if (completion[^1].Role != Roles.Assistant)
            throw new RowError("completion", $"must end with an assistant turn, found a '{completion[^1].Role}' turn last");
        output.Add(RowMetadata.Apply(new UnpairedExample(prompt, completion, desirable), row));
    }
}
