using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Data.Formats;

/// <summary>Every format PrefLab reads, by name, and detection from a file's first row.</summary>
public static class DataFormats
{
    internal static readonly PairwiseFormat Pairwise = new();
    internal static readonly HhFormat Hh = new();
    internal static readonly UltraFeedbackFormat UltraFeedback = new();
    internal static readonly NectarFormat Nectar = new();
    internal static readonly HelpSteerFormat HelpSteer = new();
    internal static readonly ArenaFormat Arena = new();
    internal static readonly ShpFormat Shp = new();
    internal static readonly SftFormat Sft = new();
    internal static readonly TextFormat Text = new();
    internal static readonly PromptsFormat Prompts = new();
    internal static readonly UnpairedFormat Unpaired = new();

    public static IReadOnlyList<DataFormat> All { get; } = [Pairwise, Hh, UltraFeedback, Nectar, HelpSteer, Arena, Shp, Unpaired, Sft, Text, Prompts];

    public static IReadOnlyList<string> Names { get; } = All.Select(f => f.Name).ToArray();

    /// <summary>The format of that name (case-insensitive); an error naming the option and the known names otherwise.</summary>
    public static DataFormat Get(string name) =>
        All.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) ??
        throw UserError.InOption("format", $"unknown format '{name}'; known: {string.Join(", ", Names)}");

    /// <summary>
    /// The format whose fields the first row has. Formats whose signature the fields contain are candidates;
    /// those that claim the row's value shapes win over those that do not (an hh transcript is a string, a
    /// conversational pair a list); then preference formats over SFT/text over prompt sets; then a
    /// signature that contains another's wins (prompt+chosen+rejected over prompt). More than one left, or
    /// none, is an error listing the fields seen and the formats known.
    /// </summary>
    public static DataFormat Detect(IReadOnlyCollection<string> fields, JsonObject firstRow, string file)
    {
        var candidates = new List<(DataFormat Format, string[] Signature)>();
        foreach (var format in All)
        {
            var matched = format.Signatures.Where(s => s.All(fields.Contains)).MaxBy(s => s.Length);
            if (matched is not null) candidates.Add((format, matched));
        }
        string seen = fields.Count == 0 ? "none" : string.Join(", ", fields);
        if (candidates.Count == 0)
            throw new UserError($"{file}: cannot tell the format from the fields of the first row ({seen}); known formats: {Known()}; name one with --format");
        var claiming = candidates.Where(c => c.Format.Claims(firstRow)).ToList();
        if (claiming.Count > 0) candidates = claiming;
        int tier = candidates.Min(c => c.Format.Tier);
        candidates = candidates.Where(c => c.Format.Tier == tier).ToList();
        candidates = candidates.Where(c => !candidates.Any(other =>
            other.Signature.Length > c.Signature.Length && c.Signature.All(other.Signature.Contains))).ToList();
        if (candidates.Count == 1) return candidates[0].Format;
        throw new UserError($"{file}: the fields of the first row ({seen}) fit more than one format: " +
            $"{string.Join(", ", candidates.Select(c => $"{c.Format.Name} ({string.Join("+", c.Signature)})"))}; name one with --format");
    }

    /// <summary>"pairwise (prompt+chosen+rejected | chosen+rejected), hh (chosen+rejected), ...".</summary>
    public static string Known() => string.Join(", ", All.Select(f => $"{f.Name} ({f.SignatureText})"));
}
