using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.IfEval;

/// <summary>One instruction of an IFEval prompt: its id and its kwargs (null values mean absent).</summary>
public sealed record IfEvalInstruction(string Id, IReadOnlyDictionary<string, JsonNode?> Arguments)
{
    public IfEvalInstruction(string id, JsonObject? arguments)
        : this(id, arguments is null
            ? new Dictionary<string, JsonNode?>()
            : arguments.ToDictionary(pair => pair.Key, pair => pair.Value?.DeepClone(), StringComparer.Ordinal))
    { }
}

/// <summary>An IFEval prompt: the key from the file, the prompt text, and the instructions a response must follow.</summary>
public sealed record IfEvalItem(string Key, string Prompt, IReadOnlyList<IfEvalInstruction> Instructions);
