using PrefLab.Models.Checkpoints;
using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>The result of <see cref="CausalLM.Forward"/>: logits [B, T, V], final hidden states [B, T, H] when
/// asked for, and the cache that was passed in (now holding the new positions too).</summary>
public sealed record CausalLMOutput(Tensor Logits, Tensor? HiddenStates, KvCache? Cache);

/// <summary>
/// A causal language model with Hugging Face's names: <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>,
/// <c>Qwen2ForCausalLM</c>, <c>Qwen3ForCausalLM</c>, <c>GPT2LMHeadModel</c>. With tied embeddings there is no
/// <c>lm_head</c> parameter at all: the output projection is the token embedding, so it appears once in
/// <c>parameters()</c>. Dropout does not exist here (it is off for RL and evaluation alike).
/// </summary>
public sealed class CausalLM : PretrainedModel
{
    readonly Linear? lmHead;

    public CausalLM(ModelConfig config, ComputePrecision? precision = null) : base(nameof(CausalLM), config, precision)
    {
        if (!config.TieWordEmbeddings)
        {
            lmHead = new Linear(config.HiddenSize, config.VocabSize, false, Precision);
            register_module("lm_head", lmHead);
        }
    }

    public override ModelHead Head => ModelHead.CausalLM;

    /// <summary>Random weights initialised like Hugging Face from <paramref name="seed"/>.</summary>
    public static CausalLM Create(ModelConfig config, long seed, ComputePrecision? precision = null)
    {
        var model = new CausalLM(config, precision);
        model.InitializeWeights(seed);
        return model;
    }

    /// <summary>Loads config.json, the weights (single or sharded safetensors; F32/BF16/F16 stored, float32
    /// in memory) and generation_config.json from a Hugging Face model folder.</summary>
    public static CausalLM Load(string folder, ComputePrecision? precision = null)
    {
        TorchRuntime.EnsureLoaded();
        var config = ModelConfigs.Load(folder);
        CheckDeclaredHead(config, ModelHead.CausalLM, folder);
        var model = new CausalLM(config, precision);
        try
        {
            using var checkpoint = Checkpoint.Open(folder);
            var skip = config.TieWordEmbeddings ? new HashSet<string> { "lm_head.weight" } : new HashSet<string>();
            var skipped = model.LoadWeights(checkpoint, skip);
            // Some tied checkpoints still carry lm_head.weight: accept it only when it is the embedding.
            foreach (var (name, tensor) in skipped)
            {
                using (tensor)
                using (var stored = tensor.to(ScalarType.Float32))
                {
                    var embedding = model.Backbone.TokenEmbedding.Weight;
                    if (!stored.shape.SequenceEqual(embedding.shape) || !stored.equal(embedding.detach()).all().item<bool>())
                        throw new UserError($"{checkpoint.FileOf(name)}: tensor '{name}' differs from the token embedding, but tie_word_embeddings is true");
                }
            }
            model.GenerationConfig = ModelFolder.ReadGenerationConfig(folder);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A fresh, empty cache for this model's layers.</summary>
    public KvCache NewCache() => new(Config.NumLayers);

    /// <summary>
    /// Logits [B, T, V] for input_ids [B, T] (int64).
    /// </summary>
    /// <param name="attentionMask">[B, past+T], 1 for real tokens (left or right padding); null when all are real.</param>
    /// <param name="positionIds">[B, T]; null derives them from the mask (cumsum - 1, clamped at 0), as generate does.</param>
    /// <param name="cache">Appended to in place (Hugging Face's DynamicCache pattern).</param>
    public Tensor forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        using var hidden = HiddenStates(inputIds, attentionMask, positionIds, cache);
        return ProjectToVocab(hidden);
    }

    /// <summary>Logits, optionally the final hidden states, and the cache, in one call.</summary>
    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null,
        bool returnHiddenStates = false)
    {
        var hidden = HiddenStates(inputIds, attentionMask, positionIds, cache);
        var logits = ProjectToVocab(hidden);
        if (!returnHiddenStates) hidden.Dispose();
        return new CausalLMOutput(logits, returnHiddenStates ? hidden : null, cache);
    }

    /// <summary>The output projection's weight [V, H]: lm_head's, or the token embedding when they are tied.</summary>
    public Tensor OutputWeight => lmHead is not null ? lmHead.Weight : Backbone.TokenEmbedding.Weight;

    /// <summary>hidden [..., H] -> logits [..., V] (through the tied embedding or lm_head). Project only the
    /// positions you need (e.g. the last one when decoding).</summary>
    public Tensor ProjectToVocab(Tensor hidden)
    {
        var logits = lmHead is not null ? lmHead.forward(hidden)
            : Linear.Apply(hidden, Backbone.TokenEmbedding.Weight, null, inputMajor: false, Precision);
        ModelFlops.AddHead(Config, hidden.numel() / Config.HiddenSize);
        return logits;
    }
}
