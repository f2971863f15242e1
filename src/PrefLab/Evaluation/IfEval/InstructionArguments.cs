using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// One instruction's kwargs as IFEval writes them, read by name. Keys whose value is null are absent (the
/// Hugging Face copy of IFEval fills every instruction's kwargs with all keys, unused ones null). After a
/// checker has taken what it needs, <see cref="RejectUnused"/> refuses any other key, so a misspelt argument is an
/// error rather than silently ignored. Every problem throws <see cref="ArgumentException"/> naming the instruction
/// and the argument.
/// </summary>
public sealed class InstructionArguments
{
    readonly string instructionId;
    readonly Dictionary<string, JsonNode> values = new(StringComparer.Ordinal);
    readonly HashSet<string> used = new(StringComparer.Ordinal);

    public InstructionArguments(string instructionId, IReadOnlyDictionary<string, JsonNode?>? kwargs)
    {
        this.instructionId = instructionId;
        if (kwargs is null) return;
        foreach (var (key, value) in kwargs)
            if (value is not null && value.GetValueKind() != JsonValueKind.Null) values[key] = value;
    }

    public int RequireInt(string name)
    {
        var node = Require(name);
        if (node is JsonValue value)
        {
            if (value.TryGetValue(out int whole)) return whole;
            if (value.TryGetValue(out long big) && big is >= int.MinValue and <= int.MaxValue) return (int)big;
            if (value.TryGetValue(out double real) && real == Math.Floor(real) && Math.Abs(real) <= int.MaxValue) return (int)real;
        }
        throw Problem(name, $"must be a whole number, not {node.ToJsonString()}");
    }

    public int RequireNonNegativeInt(string name)
    {
        int value = RequireInt(name);
        return value >= 0 ? value : throw Problem(name, $"must not be negative, not {value}");
    }

    public string RequireString(string name)
    {
        var node = Require(name);
        return node is JsonValue value && value.TryGetValue(out string? text) && text is not null
            ? text
            : throw Problem(name, $"must be a string, not {node.ToJsonString()}");
    }

    public string RequireNonEmptyString(string name)
    {
        string text = RequireString(name).Trim();
        return text.Length > 0 ? text : throw Problem(name, "must not be empty");
    }

    public IReadOnlyList<string> RequireStrings(string name)
    {
        var node = Require(name);
        if (node is JsonArray array)
        {
            var texts = new List<string>(array.Count);
            foreach (var element in array)
            {
                if (element is JsonValue value && value.TryGetValue(out string? text) && text is not null) texts.Add(text);
                else throw Problem(name, $"must be a list of strings; found {element?.ToJsonString() ?? "null"}");
            }
            if (texts.Count == 0) throw Problem(name, "must not be an empty list");
            return texts;
        }
        throw Problem(name, $"must be a list of strings, not {node.ToJsonString()}");
    }

    public Relation RequireRelation(string name)
    {
        string text = RequireString(name);
        return RelationText.TryParse(text, out var relation)
            ? relation
            : throw Problem(name, $"must be \"{RelationText.LessThan}\" or \"{RelationText.AtLeast}\", not \"{text}\"");
    }

    /// <summary>Throws when a key was given that the instruction does not take.</summary>
    public void RejectUnused()
    {
        var unused = values.Keys.Where(key => !used.Contains(key)).OrderBy(key => key, StringComparer.Ordinal).ToList();
        if (unused.Count == 0) return;
        string expected = used.Count == 0 ? "it takes no arguments" : "it takes " + string.Join(", ", used.Order(StringComparer.Ordinal));
        throw new ArgumentException($"instruction '{instructionId}': unknown argument{(unused.Count > 1 ? "s" : "")} {string.Join(", ", unused)} ({expected})");
    }

    JsonNode Require(string name)
    {
        used.Add(name);
        return values.TryGetValue(name, out var node) ? node : throw Problem(name, "is missing");
    }

    ArgumentException Problem(string name, string what) => new($"instruction '{instructionId}': argument '{name}' {what}");
}
