using System.Text.Json.Nodes;
using PrefLab.Generation;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Caching;

/// <summary>
/// The cache key of one generation: SHA-256 of a canonical JSON object holding the model fingerprint, the prompt's
/// token ids and every decoding setting that changes the output (max/min new tokens, temperature, top-k, top-p, stop
/// strings, special-token skipping). Greedy decoding ignores the seed and the batch (the generator's output does not
/// depend on them), so a greedy key holds neither; a sampled sequence's draws depend on the seed and on its index in
/// the generator call, so a sampled key holds both (<see cref="SampleSeed"/>, <see cref="SampleIndex"/>). The batch
/// size never counts.
/// </summary>
public static class GenerationKey
{
    /// <summary>Bump when the meaning of a cached entry changes.</summary>
    public const int Format = 1;

    public static string Of(string modelFingerprint, int[] promptIds, GenerationOptions options, long? sampleSeed = null, int? sampleIndex = null)
    {
        if (!options.IsGreedy && (sampleSeed is null || sampleIndex is null))
            throw new ArgumentException("a sampled generation's key needs the call's seed and the prompt's index in the call");
        var canonical = new JsonObject
        {
            ["format"] = Format,
            ["model"] = modelFingerprint,
            ["prompt"] = new JsonArray(promptIds.Select(id => (JsonNode)id).ToArray()),
            ["max_new_tokens"] = options.MaxNewTokens,
            ["min_new_tokens"] = options.MinNewTokens,
            ["temperature"] = options.Temperature,
            ["top_k"] = options.TopK,
            ["top_p"] = options.TopP,
            ["stop"] = new JsonArray(options.StopStrings.Select(s => (JsonNode)s).ToArray()),
            ["skip_special_tokens"] = options.SkipSpecialTokens,
            ["sample"] = options.IsGreedy ? null : new JsonObject { ["seed"] = sampleSeed, ["index"] = sampleIndex },
        };
        return ContentHasher.Sha256Hex(canonical.ToJsonString());
    }
}
