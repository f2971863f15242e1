using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Text;

namespace PrefLab.Generation;

/// <summary>The ids a model folder implies for generation, as Hugging Face resolves them.</summary>
public static class GenerationDefaults
{
    /// <summary>
    /// The ids that end a sequence: generation_config.json's <c>eos_token_id</c> (a number or a list, e.g.
    /// Llama 3's [128001, 128008, 128009]), else config.json's, else the tokenizer's EOS; empty when none is known
    /// (generation then runs to the length limit).
    /// </summary>
    public static IReadOnlyList<int> EosIds(CausalLM model, ITokenizer? tokenizer = null)
    {
        var fromGenerationConfig = ReadIds(model.GenerationConfig?["eos_token_id"]);
        if (fromGenerationConfig.Count > 0) return fromGenerationConfig;
        if (model.Config.EosTokenIds.Count > 0) return model.Config.EosTokenIds.Distinct().ToArray();
        return tokenizer?.EosId is int eos ? new[] { eos } : Array.Empty<int>();
    }

    /// <summary>The padding id: the tokenizer's pad token, else its EOS, else 0 (<c>ChatTokenizer.PadId</c>'s
    /// rule; padding is always masked, so an id shared with EOS is safe).</summary>
    public static int PadId(ITokenizer tokenizer) => tokenizer.PadId ?? tokenizer.EosId ?? 0;

    static IReadOnlyList<int> ReadIds(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int id) => new[] { id },
        JsonArray list => list.OfType<JsonValue>()
            .Where(v => v.GetValueKind() == JsonValueKind.Number)
            .Select(v => v.TryGetValue(out int id) ? id : -1)
            .Where(id => id >= 0).Distinct().ToArray(),
        _ => Array.Empty<int>(),
    };
}
