using System.Text.Json.Nodes;
using PrefLab.Data.Collation;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>What a split's reference log-probs are computed from; every field enters the cache key.</summary>
public sealed record ReferenceInputs
{
    /// <summary>The reference model folder (its digest enters the key, not its path).</summary>
    public required string ReferenceModel { get; init; }
    /// <summary>The data file (its content digest enters the key, not its path).</summary>
    public required string DataFile { get; init; }
    /// <summary>The data format as resolved (given or detected).</summary>
    public required string Format { get; init; }
    /// <summary>The binarization of a multi-response format (e.g. "best-random by mean-aspects, seed 0"), else null.</summary>
    public string? Binarization { get; init; }
    public bool SkipBadRows { get; init; }
    public required string ChatFormat { get; init; }
    public required int MaxLength { get; init; }
    public required TruncationPolicy Truncation { get; init; }
    /// <summary>The pairs as tokenized, in order (ids, loss masks, prompt lengths enter the key).</summary>
    public required IReadOnlyList<TokenizedPair> Pairs { get; init; }
    /// <summary>The micro-batches the reference pass runs (each pair's padded length enters the key).</summary>
    public required PairLayout Layout { get; init; }
    /// <summary>What the two sequences of a "pair" are when they are not DPO's chosen and rejected (KTO: "kto", an
    /// example and its KL sequence); enters the key only when given, so DPO's keys are unchanged.</summary>
    public string? Objective { get; init; }
    /// <summary>The precision of the reference's matrix products (the run's, so its log-probs match the policy's at
    /// the start); bf16 enters the key as a different <c>compute</c>, fp32 keeps the keys it always had.</summary>
    public Models.Layers.LinearPrecision Precision { get; init; }
}

/// <summary>
/// The key of a cached set of reference log-probs: SHA-256 of the canonical JSON of
/// <c>{version, reference (digest of config.json + weight files), data (file bytes), format, binarization,
/// skip_bad_rows, chat_format, max_length, truncation, pairs, tokens (digest of every pair's ids, masks and
/// prompt length), padded_lengths (digest of each pair's padded length in the reference pass), compute, objective (KTO only)}</c>.
/// The tokens digest alone already changes with the tokenizer, chat format, data, format, binarization and
/// truncation; those are named too so the description says what a cache was made from. Paths are kept in
/// <see cref="Description"/> for people but are not part of the key: moving a file does not invalidate it.
/// </summary>
public sealed record ReferenceCacheKey(string Hex, JsonObject Content, JsonObject Description)
{
    /// <summary>Bumped whenever the computation or the file layout changes.</summary>
    public const int Version = 1;
    /// <summary>How the values are computed (part of the key).</summary>
    public const string Compute = "float32 forward, float64 sums over the final assistant turn";
    /// <summary><see cref="Compute"/> with bfloat16 matrix products (<c>--precision bf16</c>).</summary>
    public const string ComputeBf16 = "bfloat16 linear products over float32 weights, float32 elsewhere, float64 sums over the final assistant turn";

    public static ReferenceCacheKey Of(ReferenceInputs inputs)
    {
        var content = new JsonObject
        {
            ["version"] = Version,
            ["reference"] = ContentDigest.OfModel(inputs.ReferenceModel),
            ["data"] = ContentDigest.OfFile(inputs.DataFile),
            ["format"] = inputs.Format,
            ["binarization"] = inputs.Binarization,
            ["skip_bad_rows"] = inputs.SkipBadRows,
            ["chat_format"] = inputs.ChatFormat,
            ["max_length"] = inputs.MaxLength,
            ["truncation"] = inputs.Truncation.ToString().ToLowerInvariant(),
            ["pairs"] = inputs.Pairs.Count,
            ["tokens"] = ContentDigest.OfPairs(inputs.Pairs),
            ["padded_lengths"] = ContentDigest.OfInts(inputs.Layout.PaddedLengths(inputs.Pairs)),
            ["compute"] = inputs.Precision == Models.Layers.LinearPrecision.Bf16 ? ComputeBf16 : Compute,
        };
        if (inputs.Objective is not null) content["objective"] = inputs.Objective;
        string hex = ContentDigest.OfText(content.ToJsonString());
        var description = (JsonObject)content.DeepClone();
        description["reference_model"] = Path.GetFullPath(inputs.ReferenceModel);
        description["data_file"] = Path.GetFullPath(inputs.DataFile);
        return new ReferenceCacheKey(hex, content, description);
    }
}
