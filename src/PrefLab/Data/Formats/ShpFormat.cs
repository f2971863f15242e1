using System.Text.Json;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>shp</c> (stanfordnlp/SHP): <c>history</c> (the post), <c>human_ref_A</c>, <c>human_ref_B</c> (two
/// comments), <c>labels</c> (1 when A is preferred, 0 when B), <c>score_A</c>, <c>score_B</c> (upvotes). The
/// margin is score(chosen) - score(rejected) when both scores are given. <c>post_id</c> becomes the id and
/// <c>domain</c> the subset.
/// </summary>
internal sealed class ShpFormat : RowFormat<PreferencePair>
{
    public override string Name => "shp";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["history", "human_ref_A", "human_ref_B"]];

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        string history = row.String("history");
        string a = row.String("human_ref_A");
        string b = row.String("human_ref_B");
        bool aPreferred = Label(row);
        double? scoreA = row.OptionalNumber("score_A"), scoreB = row.OptionalNumber("score_B");
        double? margin = scoreA is double sa && scoreB is double sb ? (aPreferred ? sa - sb : sb - sa) : null;
        var pair = RowMetadata.Apply(new PreferencePair([Message.User(history)], [Message.Assistant(aPreferred ? a : b)],
            [Message.Assistant(aPreferred ? b : a)]) { Margin = margin }, row);
        if (a == b) context.DropPair(Drops.Identical, pair, output);
        else output.Add(pair);
    }

    static bool Label(Row row)
    {
        var node = row.Required("labels");
        var kind = node.GetValueKind();
        if (kind is JsonValueKind.True or JsonValueKind.False) return kind == JsonValueKind.True;
        if (kind == JsonValueKind.Number)
        {
            double label = Json.Number(node, "labels");
            if (label == 1) return true;
            if (label == 0) return false;
            throw new RowError("labels", "expected 1 (A preferred) or 0 (B preferred)", $"found {node.ToJsonString()}");
        }
        throw new RowError("labels", "expected 1 (A preferred) or 0 (B preferred)", Json.Found(node));
    }
}
