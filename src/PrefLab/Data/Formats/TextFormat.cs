using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary><c>text</c>: pretraining rows <c>{"text"}</c> (DESIGN.md lists them under sft; they have their own
/// name here because they yield <see cref="TextRecord"/>s, not conversations).</summary>
internal sealed class TextFormat : RowFormat<TextRecord>
{
    public override string Name => "text";
    public override RecordKind Kind => RecordKind.Text;
    public override IReadOnlyList<string[]> Signatures { get; } = [["text"]];

    internal override void Parse(Row row, ReadContext context, List<TextRecord> output) =>
        output.Add(RowMetadata.Apply(new TextRecord(row.String("text")), row));
}
