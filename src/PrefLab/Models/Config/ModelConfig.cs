using System.Text.Json.Nodes;

namespace PrefLab.Models.Config;

/// <summary>The architectures PrefLab implements, keyed by Hugging Face's <c>model_type</c>.</summary>
public enum ModelFamily { Llama, Mistral, Qwen2, Qwen3, Gpt2 }

/// <summary>What sits on the backbone: a language-model head (<c>*ForCausalLM</c>) or a scalar head
/// (<c>*ForSequenceClassification</c> with one label: reward and value models).</summary>
public enum ModelHead { CausalLM, Scalar }

/// <summary>
/// One immutable record per architecture family, bound to the keys of Hugging Face's <c>config.json</c> (absent
/// keys take the defaults of the family's <c>transformers</c> config class). The shared shape fields live here;
/// each family adds its own. <see cref="Source"/> keeps the file as read so a save preserves keys we do not model.
/// </summary>
public abstract record ModelConfig
{
    public abstract ModelFamily Family { get; }
    /// <summary>Hugging Face's <c>model_type</c>.</summary>
    public abstract string ModelType { get; }
    /// <summary>The class-name prefix of the architectures, e.g. "Llama" for <c>LlamaForCausalLM</c>.</summary>
    public abstract string ArchitecturePrefix { get; }
    /// <summary>The name of the backbone's parameters' prefix: "model" (Llama family) or "transformer" (GPT-2).</summary>
    public abstract string BackbonePrefix { get; }

    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int NumLayers { get; init; }
    public int NumHeads { get; init; }
    /// <summary>Key/value heads; fewer than <see cref="NumHeads"/> is grouped-query attention.</summary>
    public int NumKvHeads { get; init; }
    public int HeadDim { get; init; }
    public int IntermediateSize { get; init; }
    public int MaxPositionEmbeddings { get; init; }
    /// <summary>Hugging Face's activation name (<c>hidden_act</c>, GPT-2's <c>activation_function</c>).</summary>
    public string HiddenAct { get; init; } = "silu";
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>True: the output projection is the token embedding (one parameter, no <c>lm_head.weight</c>).</summary>
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = Array.Empty<int>();
    public int? PadTokenId { get; init; }
    /// <summary>The <c>architectures</c> list as read (empty for a config built in code).</summary>
    public IReadOnlyList<string> Architectures { get; init; } = Array.Empty<string>();
    /// <summary>The <c>config.json</c> this was read from, or null.</summary>
    public JsonObject? Source { get; init; }

    public string CausalLMArchitecture => Family == ModelFamily.Gpt2 ? "GPT2LMHeadModel" : ArchitecturePrefix + "ForCausalLM";
    public string SequenceClassificationArchitecture => ArchitecturePrefix + "ForSequenceClassification";

    /// <summary>The head the file's <c>architectures</c> declares, or null when it names none.</summary>
    public ModelHead? DeclaredHead =>
        Architectures.Count == 0 ? null
        : Architectures[0].EndsWith("ForSequenceClassification", StringComparison.Ordinal) ? ModelHead.Scalar
        : Architectures[0].EndsWith("ForCausalLM", StringComparison.Ordinal) || Architectures[0].EndsWith("LMHeadModel", StringComparison.Ordinal) ? ModelHead.CausalLM
        : null;

    /// <summary>Writes this family's keys (with Hugging Face's names) into <paramref name="json"/>.</summary>
    protected abstract void WriteFields(JsonObject json);

    /// <summary>The <c>config.json</c> to save for a model with <paramref name="head"/> whose weights are stored as
    /// <paramref name="torchDtype"/> ("float32", "bfloat16", "float16"). Keys of <see cref="Source"/> we do not
    /// model are kept.</summary>
    public JsonObject ToJson(ModelHead head, string torchDtype)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(head == ModelHead.Scalar ? SequenceClassificationArchitecture : CausalLMArchitecture),
            ["model_type"] = ModelType,
        };
        WriteFields(json);
        json["bos_token_id"] = BosTokenId;
        json["eos_token_id"] = EosTokenIds.Count switch
        {
            0 => null,
            1 => EosTokenIds[0],
            _ => new JsonArray(EosTokenIds.Select(id => (JsonNode?)id).ToArray()),
        };
        json["pad_token_id"] = PadTokenId;
        json["tie_word_embeddings"] = TieWordEmbeddings;
        json["torch_dtype"] = torchDtype;
        if (head == ModelHead.Scalar)
        {
            json["num_labels"] = 1;
            json["id2label"] = new JsonObject { ["0"] = "LABEL_0" };
            json["label2id"] = new JsonObject { ["LABEL_0"] = 0 };
        }
        if (Source is null) return json;
        // Keep what the source had (transformers_version, quantization notes, ...), our keys win.
        var merged = (JsonObject)Source.DeepClone();
        if (head == ModelHead.CausalLM)
        {
            merged.Remove("num_labels");
            merged.Remove("id2label");
            merged.Remove("label2id");
        }
        merged.Remove("dtype"); // transformers 5 spelling of torch_dtype; we write torch_dtype
        foreach (var (key, value) in json) merged[key] = value?.DeepClone();
        return merged;
    }

    internal static void CheckHeads(ConfigReader reader, int heads, int kvHeads)
    {
        if (heads % kvHeads != 0)
            throw reader.Error("num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}");
    }
}
