using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

public enum ConstraintType { Count, Format, Include, Exclude, Start, End, Sorted }

/// <summary>One verifiable constraint. Format values: "comma", "dash", "number". The language is lowercase
/// only, so the usual "case" constraint is replaced by alphabetical order ("sorted").</summary>
public sealed record Constraint(ConstraintType Type, string? Value = null, int Number = 0)
{
    public string TypeName => Type switch
    {
        ConstraintType.Count => "count",
        ConstraintType.Format => "format",
        ConstraintType.Include => "include",
        ConstraintType.Exclude => "exclude",
        ConstraintType.Start => "start",
        ConstraintType.End => "end",
        _ => "sorted",
    };
}

/// <summary>A kind of thing a list can hold.</summary>
public sealed record ListKind(string Name, IReadOnlyList<string> Members)
{
    public static readonly IReadOnlyList<ListKind> All =
    [
        new("foods", Lexicon.Foods),
        new("colors", Lexicon.Colors),
        new("animals", Lexicon.Pets),
        new("jobs", Lexicon.Jobs),
        new("towns", Lexicon.TownNames),
    ];
}

/// <summary>"list 3 foods . put a dash before each one . do not include fish ." Gold: the fraction of
/// constraints met (the count always among them); correctness: the items are distinct members of the kind.</summary>
public sealed class InstructionTask : WorldTask
{
    public InstructionTask(string prompt, ListKind kind, IReadOnlyList<Constraint> constraints) : base(prompt)
    {
        Kind = kind; Constraints = constraints;
        if (constraints.Count == 0 || constraints[0].Type != ConstraintType.Count)
            throw new ArgumentException("the first constraint is the item count", nameof(constraints));
    }

    public ListKind Kind { get; }
    /// <summary>The count first, then the explicit constraints in prompt order.</summary>
    public IReadOnlyList<Constraint> Constraints { get; }

    public int Count => Constraints[0].Number;
    public Constraint? Find(ConstraintType type) => Constraints.FirstOrDefault(c => c.Type == type);

    public override string Category => WorldCategories.Instruction;
    public override string Family => "constrained_list";

    /// <summary>The canonical answer: the required word first (if any), then the kind's first members in
    /// order, skipping the excluded word; sorted when asked; in the asked format.</summary>
    public override string Reference
    {
        get
        {
            var items = new List<string>();
            if (Find(ConstraintType.Include)?.Value is string include) items.Add(include);
            string? exclude = Find(ConstraintType.Exclude)?.Value;
            foreach (string m in Kind.Members)
            {
                if (items.Count >= Count) break;
                if (m != exclude && !items.Contains(m)) items.Add(m);
            }
            if (Find(ConstraintType.Sorted) is not null) items.Sort(StringComparer.Ordinal);
            return Render(items, Find(ConstraintType.Format)?.Value ?? "comma", Find(ConstraintType.Start)?.Value, Find(ConstraintType.End)?.Value);
        }
    }

    /// <summary>Writes a list answer: "{start} : item , item {end} .".</summary>
    public static string Render(IReadOnlyList<string> items, string format, string? start, string? end)
    {
        var parts = new List<string>();
        if (start is not null) parts.Add(start + " :");
        for (int i = 0; i < items.Count; i++)
        {
            switch (format)
            {
                case "dash": parts.Add("- " + items[i]); break;
                case "number": parts.Add(WorldText.Number(i + 1) + " " + items[i]); break;
                default: parts.Add(i == 0 ? items[i] : ", " + items[i]); break;
            }
        }
        if (end is not null) parts.Add(end);
        parts.Add(".");
        return WorldText.Join(parts);
    }
}
