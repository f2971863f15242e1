using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Mixing;

/// <summary>What one input contributed to a mix.</summary>
public sealed record MixSourceReport(MixInput Input, string Format, long Records, long DuplicatePrompts, long Selected, ReadReport Read)
{
    /// <summary>Records left after removing those whose prompt an earlier input already contributed.</summary>
    public long Available => Records - DuplicatePrompts;
}

/// <summary>The result of <see cref="DatasetMixer.Mix"/>.</summary>
public sealed class MixReport
{
    public required string Output { get; init; }
    public required RecordKind Kind { get; init; }
    public required long Seed { get; init; }
    public long? Size { get; init; }
    public required IReadOnlyList<MixSourceReport> Sources { get; init; }
    public long Total => Sources.Sum(s => s.Selected);

    public JsonObject ToJson() => new()
    {
        ["output"] = Output,
        ["kind"] = ReadReport.Unit(Kind),
        ["total"] = Total,
        ["seed"] = Seed,
        ["size"] = Size,
        ["inputs"] = new JsonArray(Sources.Select(s => (JsonNode)new JsonObject
        {
            ["file"] = s.Input.Path,
            ["source"] = s.Input.Name,
            ["format"] = s.Format,
            ["weight"] = s.Input.Weight,
            ["count"] = s.Input.Count,
            ["records"] = s.Records,
            ["duplicate_prompts"] = s.DuplicatePrompts,
            ["selected"] = s.Selected,
            ["read"] = s.Read.ToJson(),
        }).ToArray()),
    };

    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"wrote {Total} {ReadReport.Unit(Kind)} to {Output} (seed {Seed})");
        foreach (var s in Sources)
            text.AppendLine(c, $"  {s.Input.Name}: {s.Selected} of {s.Available} ({s.Records} read, {s.DuplicatePrompts} with a prompt an earlier input gave) [{s.Format}]");
        return text.ToString();
    }
}
