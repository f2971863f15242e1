using PrefLab.Models.Config;
using PrefLab.Runtime;

namespace PrefLab.Models.Presets;

/// <summary>
/// Named shapes for random initialisation (<c>preflab init-model --preset NAME</c>). The vocabulary and the
/// special ids come from the tokenizer. Non-embedding parameter counts do not depend on the vocabulary:
/// tiny-test 4,688; world-small 1,049,728; world-base 5,115,136; llama-30m 27,271,680; qwen3-tiny 123,328;
/// gpt2-tiny 100,096; mistral-tiny 98,624; qwen2.5-0.5b 357,898,112 (the test suite checks these).
/// <c>qwen2.5-0.5b</c> is the one real-model shape: its vocabulary is Qwen2.5's padded 151,936 whatever the tokenizer
/// (which must fit in it), so a random model has exactly Qwen2.5-0.5B's 494,032,768 parameters and names.
/// </summary>
public static class ModelPresets
{
    public sealed record Preset(string Name, string Description, Func<TokenizerFacts, ModelConfig> Build);

    public static readonly IReadOnlyList<Preset> All = new Preset[]
    {
        new("tiny-test", "llama, hidden 16, 2 layers, 4 heads / 2 kv heads, tied: a few thousand parameters for unit tests",
            t => Llama(t, hidden: 16, intermediate: 32, layers: 2, heads: 4, kvHeads: 2, tied: true, maxPositions: 256)),
        new("world-small", "llama, hidden 128, 4 layers, 4 heads, tied: ~1M non-embedding parameters (Preference World)",
            t => Llama(t, hidden: 128, intermediate: 512, layers: 4, heads: 4, kvHeads: 4, tied: true, maxPositions: 512)),
        new("world-base", "llama, hidden 256, 6 layers, 8 heads, tied: ~5.1M non-embedding parameters (Preference World)",
            t => Llama(t, hidden: 256, intermediate: 768, layers: 6, heads: 8, kvHeads: 8, tied: true, maxPositions: 512)),
        new("llama-30m", "llama, hidden 512, 8 layers, 8 heads, untied: ~27M non-embedding parameters, for sequences of 256",
            t => Llama(t, hidden: 512, intermediate: 1536, layers: 8, heads: 8, kvHeads: 8, tied: false, maxPositions: 2048)),
        new("qwen3-tiny", "qwen3, hidden 64, 2 layers, 4 heads / 2 kv heads of 32, q/k norms, tied",
            t => new Qwen3Config
            {
                VocabSize = t.VocabSize, HiddenSize = 64, IntermediateSize = 192, NumLayers = 2, NumHeads = 4, NumKvHeads = 2,
                HeadDim = 32, MaxPositionEmbeddings = 512, TieWordEmbeddings = true, Rope = new RopeConfig { Theta = 1_000_000 },
                BosTokenId = t.BosId, EosTokenIds = Eos(t), PadTokenId = t.PadId,
            }),
        new("gpt2-tiny", "gpt2, n_embd 64, 2 layers, 4 heads, 256 positions, tied",
            t => new Gpt2Config
            {
                VocabSize = t.VocabSize, HiddenSize = 64, IntermediateSize = 256, NumLayers = 2, NumHeads = 4, NumKvHeads = 4,
                HeadDim = 16, MaxPositionEmbeddings = 256, HiddenAct = "gelu_new", TieWordEmbeddings = true,
                BosTokenId = t.BosId, EosTokenIds = Eos(t), PadTokenId = t.PadId,
            }),
        new("mistral-tiny", "mistral, hidden 64, 2 layers, 4 heads / 2 kv heads, sliding window 64, untied",
            t => new MistralConfig
            {
                VocabSize = t.VocabSize, HiddenSize = 64, IntermediateSize = 192, NumLayers = 2, NumHeads = 4, NumKvHeads = 2,
                HeadDim = 16, MaxPositionEmbeddings = 512, Window = 64, TieWordEmbeddings = false,
                BosTokenId = t.BosId, EosTokenIds = Eos(t), PadTokenId = t.PadId,
            }),
        new("qwen2.5-0.5b", "qwen2, Qwen2.5-0.5B's shape: hidden 896, 24 layers, 14 heads / 2 kv heads, intermediate 4864, vocab 151,936, q/k/v biases, tied",
            t => new Qwen2Config
            {
                VocabSize = FitVocabulary(t, QwenVocabulary, "qwen2.5-0.5b"), HiddenSize = 896, IntermediateSize = 4864, NumLayers = 24,
                NumHeads = 14, NumKvHeads = 2, HeadDim = 64, MaxPositionEmbeddings = 32768, TieWordEmbeddings = true, RmsNormEps = 1e-6,
                Rope = new RopeConfig { Theta = 1_000_000 }, BosTokenId = t.BosId, EosTokenIds = Eos(t), PadTokenId = t.PadId,
            }),
    };

    /// <summary>Qwen2/2.5's embedding rows (its tokenizer's 151,665 ids, padded for the matrix kernels).</summary>
    public const int QwenVocabulary = 151_936;

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    /// <summary>The config of preset <paramref name="name"/> for a tokenizer; an unknown name names --preset.</summary>
    public static ModelConfig Create(string name, TokenizerFacts tokenizer)
    {
        var preset = All.FirstOrDefault(p => p.Name == name)
            ?? throw UserError.InOption("preset", $"unknown preset '{name}' (presets: {string.Join(", ", Names)})");
        return preset.Build(tokenizer);
    }

    static LlamaConfig Llama(TokenizerFacts t, int hidden, int intermediate, int layers, int heads, int kvHeads, bool tied, int maxPositions) => new()
    {
        VocabSize = t.VocabSize,
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kvHeads,
        HeadDim = hidden / heads,
        MaxPositionEmbeddings = maxPositions,
        TieWordEmbeddings = tied,
        RmsNormEps = 1e-6,
        BosTokenId = t.BosId,
        EosTokenIds = Eos(t),
        PadTokenId = t.PadId,
    };

    // A preset with a fixed vocabulary: the tokenizer's ids must fit in it.
    static int FitVocabulary(TokenizerFacts t, int vocabulary, string preset) => t.VocabSize <= vocabulary ? vocabulary
        : throw UserError.InOption("preset", $"{preset} has {vocabulary} embedding rows, but the tokenizer needs {t.VocabSize}");

    static IReadOnlyList<int> Eos(TokenizerFacts t) => t.EosId is int eos ? new[] { eos } : Array.Empty<int>();
}
