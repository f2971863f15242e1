using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World.Scoring;

/// <summary>
/// Constrained lists. The list is read from the sentence holding the most members of the asked kind (after
/// its last ":"), split by the format it uses (dashes, numbers, commas/"and", or spaces). instruction_following
/// is the fraction of constraints met (the item count always among them; a response naming no member of
/// the kind has no list and meets none); correctness the share of items that are distinct members of the kind; helpfulness the form.
/// </summary>
public static class InstructionScorer
{
    public static GoldScore Score(InstructionTask task, ResponseAnalysis response)
    {
        var parsed = Parse(task, response.Tokens);
        var items = parsed.Items;
        int met = 0;
        foreach (var constraint in task.Constraints)
            if (items.Count > 0 && Met(constraint, parsed, response.Tokens)) met++;
        double instruction = (double)met / task.Constraints.Count;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int good = items.Count(i => task.Kind.Members.Contains(i) && seen.Add(i));
        double correctness = items.Count == 0 ? 0 : (double)good / items.Count;
        return GoldScore.Of(task.Category, correctness, instruction, 1, response.Style(task.Budget));
    }

    public sealed record ParsedList(IReadOnlyList<string> Items, string Format);

    public static bool Met(Constraint constraint, ParsedList list, IReadOnlyList<string> tokens) => constraint.Type switch
    {
        ConstraintType.Count => list.Items.Count == constraint.Number,
        ConstraintType.Format => list.Format == constraint.Value,
        ConstraintType.Include => list.Items.Contains(constraint.Value!),
        ConstraintType.Exclude => !tokens.Contains(constraint.Value!),
        ConstraintType.Start => tokens.Count > 0 && tokens[0] == constraint.Value,
        ConstraintType.End => LastWord(tokens) == constraint.Value,
        _ => list.Items.Zip(list.Items.Skip(1)).All(p => string.CompareOrdinal(p.First, p.Second) <= 0),
    };

    static string? LastWord(IReadOnlyList<string> tokens)
    {
        for (int i = tokens.Count - 1; i >= 0; i--)
            if (tokens[i] is not ("." or "!")) return tokens[i];
        return null;
    }

    public static ParsedList Parse(InstructionTask task, IReadOnlyList<string> tokens)
    {
        var sentences = Knowledge.Claims.Sentences(tokens);
        if (sentences.Count == 0) return new ParsedList([], "none");
        // The list is the sentence with the most members of the kind; without any member there is no list.
        var region = sentences.OrderByDescending(s => s.Count(task.Kind.Members.Contains)).First();
        if (!region.Any(task.Kind.Members.Contains)) return new ParsedList([], "none");
        int colon = region.LastIndexOf(":");
        if (colon >= 0) region = region.Skip(colon + 1).ToList();
        if (task.Find(ConstraintType.Start)?.Value is string start && region.Count > 0 && region[0] == start) region = region.Skip(1).ToList();
        if (task.Find(ConstraintType.End)?.Value is string end && region.Count > 0 && region[^1] == end) region = region.Take(region.Count - 1).ToList();
        string format = region.Contains("-") ? "dash"
            : region.Any(WorldText.IsDigit) ? "number"
            : region.Contains(",") || region.Contains("and") ? "comma"
            : "space";
        var segments = new List<List<string>> { new() };
        foreach (string token in region)
        {
            bool separator = format switch
            {
                "dash" => token == "-",
                "number" => WorldText.IsDigit(token),
                "comma" => token is "," or "and",
                _ => true,
            };
            if (separator)
            {
                if (segments[^1].Count > 0) segments.Add([]);
                if (format == "space") segments[^1].Add(token);
            }
            else segments[^1].Add(token);
        }
        var items = segments.Where(s => s.Count > 0).Select(s => string.Join(' ', s)).ToList();
        return new ParsedList(items, format);
    }
}
