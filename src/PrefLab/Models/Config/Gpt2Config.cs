using System.Text.Json.Nodes;

namespace PrefLab.Models.Config;

/// <summary><c>model_type: gpt2</c>: learned positions, LayerNorm, Conv1D weights stored [in, out], tied head.</summary>
public sealed record Gpt2Config : ModelConfig
{
    public override ModelFamily Family => ModelFamily.Gpt2;
    public override string ModelType => "gpt2";
    public override string ArchitecturePrefix => "GPT2";
    public override string BackbonePrefix => "transformer";
    public double LayerNormEpsilon { get; init; } = 1e-5;
    /// <summary>Divide attention scores by sqrt(head_dim) (<c>scale_attn_weights</c>).</summary>
    public bool ScaleAttnWeights { get; init; } = true;
    /// <summary>Further divide layer i's scores by i + 1 (<c>scale_attn_by_inverse_layer_idx</c>).</summary>
    public bool ScaleAttnByInverseLayerIdx { get; init; }
    /// <summary>Kept for the round trip; the same numbers as the plain path in float32.</summary>
    public bool ReorderAndUpcastAttn { get; init; }

    internal static Gpt2Config Read(ConfigReader r)
    {
        int hidden = r.PositiveInt("n_embd", 768);
        int heads = r.PositiveInt("n_head", 12);
        if (hidden % heads != 0) throw r.Error("n_embd", $"{hidden} is not a multiple of n_head {heads}");
        if (r.Bool("add_cross_attention", false)) throw r.Error("add_cross_attention", "cross-attention is not supported");
        var eos = r.Present("eos_token_id") ? r.IntOrIntList("eos_token_id") : new[] { 50256 };
        return new Gpt2Config
        {
            VocabSize = r.PositiveInt("vocab_size", 50257),
            HiddenSize = hidden,
            NumLayers = r.PositiveInt("n_layer", 12),
            NumHeads = heads,
            NumKvHeads = heads,
            HeadDim = hidden / heads,
            IntermediateSize = r.OptionalInt("n_inner") is int inner ? (inner > 0 ? inner : throw r.Error("n_inner", "must be positive")) : 4 * hidden,
            MaxPositionEmbeddings = r.PositiveInt("n_positions", r.Int("n_ctx", 1024)),
            HiddenAct = Activations.Check(r, "activation_function", r.String("activation_function") ?? "gelu_new"),
            InitializerRange = r.Double("initializer_range", 0.02),
            LayerNormEpsilon = r.Double("layer_norm_epsilon", 1e-5),
            ScaleAttnWeights = r.Bool("scale_attn_weights", true),
            ScaleAttnByInverseLayerIdx = r.Bool("scale_attn_by_inverse_layer_idx", false),
            ReorderAndUpcastAttn = r.Bool("reorder_and_upcast_attn", false),
            TieWordEmbeddings = r.Bool("tie_word_embeddings", true),
            BosTokenId = r.Present("bos_token_id") ? r.OptionalInt("bos_token_id") : 50256,
            EosTokenIds = eos,
            PadTokenId = r.OptionalInt("pad_token_id"),
            Architectures = RotaryDecoderConfig.ReadArchitectures(r),
            Source = r.Json,
        };
    }

    protected override void WriteFields(JsonObject json)
    {
        json["vocab_size"] = VocabSize;
        json["n_positions"] = MaxPositionEmbeddings;
        json["n_embd"] = HiddenSize;
        json["n_layer"] = NumLayers;
        json["n_head"] = NumHeads;
        json["n_inner"] = IntermediateSize;
        json["activation_function"] = HiddenAct;
        json["resid_pdrop"] = 0.0;
        json["embd_pdrop"] = 0.0;
        json["attn_pdrop"] = 0.0;
        json["layer_norm_epsilon"] = LayerNormEpsilon;
        json["initializer_range"] = InitializerRange;
        json["scale_attn_weights"] = ScaleAttnWeights;
        json["scale_attn_by_inverse_layer_idx"] = ScaleAttnByInverseLayerIdx;
        json["reorder_and_upcast_attn"] = ReorderAndUpcastAttn;
        json["use_cache"] = true;
    }
}
