using System.Text.Json.Nodes;
using Xunit;

namespace PrefLab.Tests.World;

/// <summary>
/// Reads the texts out of the World's files by their real formats (an independent reading, not the
/// generator's own bookkeeping): every prompt, response, rationale and document, with transcript markers
/// removed. Also returns (prompt, response) pairs for rescoring.
/// </summary>
public static class EmittedTexts
{
    public const string Human = "\n\nHuman: ", Assistant = "\n\nAssistant: ";

    public static readonly IReadOnlyList<string> TrainingFiles =
    [
        "pretrain.jsonl", "pretrain-heldout.jsonl", "sft.jsonl",
        "preferences/hh.jsonl", "preferences/shp.jsonl", "preferences/ultrafeedback.jsonl", "preferences/nectar.jsonl",
        "preferences/helpsteer.jsonl", "preferences/arena.jsonl", "preferences/pairwise.jsonl",
        "prompts/mixed.jsonl", "prompts/reasoning.jsonl", "prompts/safety.jsonl",
    ];

    public static readonly IReadOnlyList<string> Categories =
        ["reasoning", "factuality", "truthfulness", "instruction", "coding", "safety", "helpfulness"];

    public static IEnumerable<string> EvalFiles => Categories.Select(c => $"eval/{c}.jsonl");

    public static (string Prompt, string Response) Transcript(string text)
    {
        Assert.StartsWith(Human, text);
        int assistant = text.IndexOf(Assistant, StringComparison.Ordinal);
        Assert.True(assistant > 0, "transcript without an assistant turn");
        return (text[Human.Length..assistant], text[(assistant + Assistant.Length)..]);
    }

    public static string NectarPrompt(string text)
    {
        Assert.StartsWith(Human, text);
        Assert.EndsWith("\n\nAssistant:", text);
        return text[Human.Length..^"\n\nAssistant:".Length];
    }

    static string S(JsonNode row, string field) => row[field]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"missing field '{field}' in {row.ToJsonString()}");

    /// <summary>Every text of one row of the given file.</summary>
    public static IEnumerable<string> Of(string file, JsonNode row)
    {
        switch (file)
        {
            case "pretrain.jsonl":
            case "pretrain-heldout.jsonl":
                yield return S(row, "text");
                break;
            case "sft.jsonl":
                foreach (var m in row["messages"]!.AsArray()) yield return S(m!, "content");
                break;
            case "preferences/hh.jsonl":
                foreach (string field in new[] { "chosen", "rejected" })
                {
                    var (p, r) = Transcript(S(row, field));
                    yield return p;
                    yield return r;
                }
                break;
            case "preferences/shp.jsonl":
                yield return S(row, "history"); yield return S(row, "human_ref_A"); yield return S(row, "human_ref_B");
                break;
            case "preferences/ultrafeedback.jsonl":
                yield return S(row, "instruction");
                foreach (var c in row["completions"]!.AsArray())
                {
                    yield return S(c!, "response");
                    yield return S(c!, "critique");
                    foreach (var (_, aspect) in c!["annotations"]!.AsObject()) yield return S(aspect!, "Rationale");
                }
                break;
            case "preferences/nectar.jsonl":
                yield return NectarPrompt(S(row, "prompt"));
                foreach (var a in row["answers"]!.AsArray()) yield return S(a!, "answer");
                break;
            case "preferences/helpsteer.jsonl":
                yield return S(row, "prompt"); yield return S(row, "response");
                break;
            case "preferences/arena.jsonl":
                foreach (string side in new[] { "conversation_a", "conversation_b" })
                    foreach (var m in row[side]!.AsArray()) yield return S(m!, "content");
                break;
            case "preferences/pairwise.jsonl":
                yield return S(row, "prompt"); yield return S(row, "chosen"); yield return S(row, "rejected");
                break;
            case var f when f.StartsWith("prompts/", StringComparison.Ordinal):
                yield return S(row, "prompt");
                break;
            case var f when f.StartsWith("eval/", StringComparison.Ordinal):
                yield return S(row, "prompt");
                yield return S(row, "reference");
                if (row["choices"] is JsonArray choices) foreach (var c in choices) yield return c!.GetValue<string>();
                break;
            default:
                throw new ArgumentException(file);
        }
    }

    /// <summary>The user prompt of a row of a training file.</summary>
    public static string PromptOf(string file, JsonNode row) => file switch
    {
        "sft.jsonl" => S(row["messages"]![0]!, "content"),
        "preferences/hh.jsonl" => Transcript(S(row, "chosen")).Prompt,
        "preferences/shp.jsonl" => S(row, "history"),
        "preferences/ultrafeedback.jsonl" => S(row, "instruction"),
        "preferences/nectar.jsonl" => NectarPrompt(S(row, "prompt")),
        "preferences/arena.jsonl" => S(row["conversation_a"]![0]!, "content"),
        _ => S(row, "prompt"),
    };
}
