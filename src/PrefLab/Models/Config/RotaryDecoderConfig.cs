using System.Text.Json.Nodes;

namespace PrefLab.Models.Config;

/// <summary>
/// The Llama-style decoder shared by Llama, Mistral, Qwen2 and Qwen3: RMSNorm, rotary positions, grouped-query
/// attention, gated MLP. Each family says which options it has (biases, per-head q/k norms, sliding window).
/// </summary>
public abstract record RotaryDecoderConfig : ModelConfig
{
    public double RmsNormEps { get; init; } = 1e-6;
    public RopeConfig Rope { get; init; } = new();

    /// <summary>Biases on q_proj, k_proj, v_proj.</summary>
    public abstract bool QkvBias { get; }
    /// <summary>Bias on o_proj.</summary>
    public abstract bool OutputBias { get; }
    /// <summary>Biases on gate_proj, up_proj, down_proj.</summary>
    public virtual bool MlpBias => false;
    /// <summary>Per-head RMSNorm of queries and keys before the rotation (Qwen3).</summary>
    public virtual bool QkNorm => false;
    /// <summary>Each query sees at most this many positions, itself included (Mistral); null for none.</summary>
    public virtual int? SlidingWindow => null;

    /// <summary>Hugging Face's defaults of one family's config class.</summary>
    internal sealed record Defaults(int Vocab, int Hidden, int Intermediate, int Layers, int Heads, int? KvHeads,
        int? HeadDim, int MaxPositions, int? Bos, int? Eos);

    /// <summary>Reads the fields every Llama-style family shares; <paramref name="with"/> adds the family's own.</summary>
    internal static T ReadCommon<T>(ConfigReader r, Defaults d, T empty) where T : RotaryDecoderConfig
    {
        int hidden = r.PositiveInt("hidden_size", d.Hidden);
        int heads = r.PositiveInt("num_attention_heads", d.Heads);
        int kvHeads = r.OptionalInt("num_key_value_heads") ?? d.KvHeads ?? heads;
        if (kvHeads <= 0) throw r.Error("num_key_value_heads", $"must be positive, not {kvHeads}");
        CheckHeads(r, heads, kvHeads);
        int? headDim = r.OptionalInt("head_dim") ?? d.HeadDim;
        if (headDim is null && hidden % heads != 0)
            throw r.Error("hidden_size", $"{hidden} is not a multiple of num_attention_heads {heads} and no head_dim is given");
        if (headDim is <= 0 || (headDim ?? hidden / heads) % 2 != 0)
            throw r.Error("head_dim", $"must be a positive even number, not {headDim ?? hidden / heads}");
        var eos = r.Present("eos_token_id") ? r.IntOrIntList("eos_token_id") : d.Eos is int e ? new[] { e } : Array.Empty<int>();
        return empty with
        {
            VocabSize = r.PositiveInt("vocab_size", d.Vocab),
            HiddenSize = hidden,
            IntermediateSize = r.PositiveInt("intermediate_size", d.Intermediate),
            NumLayers = r.PositiveInt("num_hidden_layers", d.Layers),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim ?? hidden / heads,
            MaxPositionEmbeddings = r.PositiveInt("max_position_embeddings", d.MaxPositions),
            HiddenAct = Activations.Check(r, "hidden_act", r.String("hidden_act") ?? "silu"),
            InitializerRange = r.Double("initializer_range", 0.02),
            RmsNormEps = r.Double("rms_norm_eps", 1e-6),
            TieWordEmbeddings = r.Bool("tie_word_embeddings", false),
            BosTokenId = r.Present("bos_token_id") ? r.OptionalInt("bos_token_id") : d.Bos,
            EosTokenIds = eos,
            PadTokenId = r.OptionalInt("pad_token_id"),
            Rope = RopeConfig.Read(r, 10000.0),
            Architectures = ReadArchitectures(r),
            Source = r.Json,
        };
    }

    internal static IReadOnlyList<string> ReadArchitectures(ConfigReader r) =>
        r.Get("architectures") is JsonArray list
            ? list.Select(item => item?.GetValue<string>() ?? throw r.Error("architectures", "holds a null")).ToArray()
            : Array.Empty<string>();

    /// <summary>Qwen's per-layer sliding window is not implemented: refuse configs that switch it on.</summary>
    internal static void RefuseSlidingLayers(ConfigReader r)
    {
        if (r.Bool("use_sliding_window", false))
            throw r.Error("use_sliding_window", "sliding-window attention on some layers is not supported");
        if (r.Get("layer_types") is JsonArray types && types.Any(t => t?.GetValue<string>() != "full_attention"))
            throw r.Error("layer_types", "only 'full_attention' layers are supported");
    }

    protected void WriteCommon(JsonObject json)
    {
        json["vocab_size"] = VocabSize;
        json["hidden_size"] = HiddenSize;
        json["intermediate_size"] = IntermediateSize;
        json["num_hidden_layers"] = NumLayers;
        json["num_attention_heads"] = NumHeads;
        json["num_key_value_heads"] = NumKvHeads;
        json["head_dim"] = HeadDim;
        json["hidden_act"] = HiddenAct;
        json["max_position_embeddings"] = MaxPositionEmbeddings;
        json["initializer_range"] = InitializerRange;
        json["rms_norm_eps"] = RmsNormEps;
        json["rope_theta"] = Rope.Theta;
        json["rope_scaling"] = Rope.ScalingJson();
        json["attention_dropout"] = 0.0;
        json["use_cache"] = true;
    }
}

/// <summary><c>model_type: llama</c> (Llama 2 and 3, TinyLlama, SmolLM ...).</summary>
public sealed record LlamaConfig : RotaryDecoderConfig
{
    public override ModelFamily Family => ModelFamily.Llama;
    public override string ModelType => "llama";
    public override string ArchitecturePrefix => "Llama";
    public override string BackbonePrefix => "model";
    /// <summary><c>attention_bias</c>: biases on q/k/v and o projections.</summary>
    public bool AttentionBias { get; init; }
    /// <summary><c>mlp_bias</c>.</summary>
    public bool HasMlpBias { get; init; }
    public override bool QkvBias => AttentionBias;
    public override bool OutputBias => AttentionBias;
    public override bool MlpBias => HasMlpBias;

    internal static LlamaConfig Read(ConfigReader r) =>
        ReadCommon(r, new Defaults(32000, 4096, 11008, 32, 32, null, null, 2048, 1, 2), new LlamaConfig()) with
        {
            AttentionBias = r.Bool("attention_bias", false),
            HasMlpBias = r.Bool("mlp_bias", false),
        };

    protected override void WriteFields(JsonObject json)
    {
        WriteCommon(json);
        json["attention_bias"] = AttentionBias;
        json["mlp_bias"] = HasMlpBias;
        json["pretraining_tp"] = 1;
    }
}

/// <summary><c>model_type: mistral</c>: Llama without biases, plus an optional sliding attention window.</summary>
public sealed record MistralConfig : RotaryDecoderConfig
{
    public override ModelFamily Family => ModelFamily.Mistral;
    public override string ModelType => "mistral";
    public override string ArchitecturePrefix => "Mistral";
    public override string BackbonePrefix => "model";
    public override bool QkvBias => false;
    public override bool OutputBias => false;
    /// <summary><c>sliding_window</c> (null: full attention, as in Mistral v0.2 and later).</summary>
    public int? Window { get; init; }
    public override int? SlidingWindow => Window;

    internal static MistralConfig Read(ConfigReader r)
    {
        int? window = r.Present("sliding_window") ? r.OptionalInt("sliding_window") : 4096;
        if (window is <= 0) throw r.Error("sliding_window", $"must be positive or null, not {window}");
        return ReadCommon(r, new Defaults(32000, 4096, 14336, 32, 32, 8, null, 4096 * 32, 1, 2), new MistralConfig()) with
        {
            Window = window,
        };
    }

    protected override void WriteFields(JsonObject json)
    {
        WriteCommon(json);
        json["sliding_window"] = Window;
    }
}

/// <summary><c>model_type: qwen2</c> (Qwen2, Qwen2.5): biases on q, k and v.</summary>
public sealed record Qwen2Config : RotaryDecoderConfig
{
    public override ModelFamily Family => ModelFamily.Qwen2;
    public override string ModelType => "qwen2";
    public override string ArchitecturePrefix => "Qwen2";
    public override string BackbonePrefix => "model";
    public override bool QkvBias => true;
    public override bool OutputBias => false;

    internal static Qwen2Config Read(ConfigReader r)
    {
        RefuseSlidingLayers(r);
        return ReadCommon(r, new Defaults(151936, 4096, 22016, 32, 32, 32, null, 32768, null, null), new Qwen2Config());
    }

    protected override void WriteFields(JsonObject json)
    {
        WriteCommon(json);
        json["use_sliding_window"] = false;
    }
}

/// <summary><c>model_type: qwen3</c>: per-head RMSNorm of queries and keys (<c>q_norm</c>, <c>k_norm</c>) before
/// the rotation; <c>head_dim</c> defaults to 128.</summary>
public sealed record Qwen3Config : RotaryDecoderConfig
{
    public override ModelFamily Family => ModelFamily.Qwen3;
    public override string ModelType => "qwen3";
    public override string ArchitecturePrefix => "Qwen3";
    public override string BackbonePrefix => "model";
    public bool AttentionBias { get; init; }
    public override bool QkvBias => AttentionBias;
    public override bool OutputBias => AttentionBias;
    public override bool QkNorm => true;

    internal static Qwen3Config Read(ConfigReader r)
    {
        RefuseSlidingLayers(r);
        return ReadCommon(r, new Defaults(151936, 4096, 22016, 32, 32, 32, 128, 32768, null, null), new Qwen3Config()) with
        {
            AttentionBias = r.Bool("attention_bias", false),
        };
    }

    protected override void WriteFields(JsonObject json)
    {
        WriteCommon(json);
        json["attention_bias"] = AttentionBias;
        json["use_sliding_window"] = false;
    }
}
