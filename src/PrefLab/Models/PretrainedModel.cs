using System.Text.Json.Nodes;
using System.Text.Json;
using PrefLab.Models.Architectures;
using PrefLab.Models.Checkpoints;
using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>
/// What every PrefLab model shares: a config, a backbone registered under the family's prefix ("model" or
/// "transformer", so parameter names are Hugging Face's), the precision seam, and saving in Hugging Face layout.
/// </summary>
public abstract class PretrainedModel : nn.Module
{
    protected PretrainedModel(string name, ModelConfig config, ComputePrecision? precision) : base(name)
    {
        TorchRuntime.EnsureLoaded();
        Precision = precision ?? new ComputePrecision();
        Backbone = config switch
        {
            RotaryDecoderConfig rotary => new RotaryDecoder(rotary, Precision),
            Gpt2Config gpt2 => new Gpt2Backbone(gpt2, Precision),
            _ => throw new ArgumentException($"no backbone for {config.GetType().Name}"),
        };
        register_module(config.BackbonePrefix, Backbone);
    }

    public ModelConfig Config => Backbone.Config;
    public Backbone Backbone { get; }
    /// <summary>Shared by every linear layer: set <see cref="ComputePrecision.LinearDtype"/> for bf16 mixed precision.</summary>
    public ComputePrecision Precision { get; }
    public abstract ModelHead Head { get; }
    /// <summary>The folder's generation_config.json as read (saved back unchanged), or null.</summary>
    public JsonObject? GenerationConfig { get; set; }

    /// <summary>Every parameter once (a tied embedding is one parameter).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Token and (GPT-2) position embedding parameters, when not shared with the head.</summary>
    public long EmbeddingParameterCount => named_parameters()
        .Where(p => p.name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || p.name.EndsWith(".wte.weight", StringComparison.Ordinal)
            || p.name.EndsWith(".wpe.weight", StringComparison.Ordinal) || p.name == "lm_head.weight")
        .Sum(p => p.parameter.numel());

    public long NonEmbeddingParameterCount => ParameterCount - EmbeddingParameterCount;

    long? nonEmbeddingParameterCount;

    /// <summary><see cref="NonEmbeddingParameterCount"/>, counted once (the shapes never change) for
    /// <see cref="ModelFlops"/>, which reads it on every forward.</summary>
    internal long NonEmbeddingParameterCountCached => nonEmbeddingParameterCount ??= NonEmbeddingParameterCount;

    /// <summary>Final hidden states [B, T, hidden] (after the final norm). See <see cref="Backbone.forward"/>.</summary>
    public Tensor HiddenStates(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        long past = cache?.Length ?? 0;
        var hidden = Backbone.forward(inputIds, attentionMask, positionIds, cache);
        ModelFlops.AddBackbone(this, inputIds.shape[0], inputIds.shape[1], past);
        return hidden;
    }

    /// <summary>Writes config.json, generation_config.json and the weights (single file or shards) into
    /// <paramref name="folder"/>, each file atomically. Tokenizer files are not touched (see
    /// <see cref="ModelFolder.CopyTokenizerFiles"/>).</summary>
    public void Save(string folder, ModelSaveOptions? options = null)
    {
        options ??= new ModelSaveOptions();
        string torchDtype = SafeTensorsDType.TorchDtypeName(options.DType);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var tensors = named_parameters().Select(p => (p.name, p.parameter.detach().to(options.DType).contiguous())).ToList();
            CheckpointWriter.Write(folder, tensors, options.MaxShardBytes);
        }
        AtomicFile.WriteAllText(Path.Combine(folder, ModelFolder.ConfigFileName),
            (options.PadTokenId is int pad ? Config with { PadTokenId = pad } : Config).ToJson(Head, torchDtype).ToJsonString(JsonOptions.Indented) + "\n");
        AtomicFile.WriteAllText(Path.Combine(folder, ModelFolder.GenerationConfigFileName),
            (GenerationConfig ?? ModelFolder.DefaultGenerationConfig(Config)).ToJsonString(JsonOptions.Indented) + "\n");
    }

    /// <summary>Copies the weights saved in <paramref name="folder"/> (by <see cref="Save"/>, same config) into this
    /// model's parameters in place, so optimizers holding them stay valid: how a trainer resumes.</summary>
    public void ReloadWeights(string folder)
    {
        using var checkpoint = Checkpoint.Open(folder);
        var skip = Head == ModelHead.CausalLM && Config.TieWordEmbeddings ? new HashSet<string> { "lm_head.weight" } : new HashSet<string>();
        foreach (var tensor in LoadWeights(checkpoint, skip).Values) tensor.Dispose();
    }

    /// <summary>Initialises every parameter as Hugging Face's <c>_init_weights</c> does, from <paramref name="seed"/>.</summary>
    public void InitializeWeights(long seed) => ModelInitializer.Initialize(this, seed);

    internal static readonly IReadOnlySet<string> HeadNames = new HashSet<string>(StringComparer.Ordinal) { "lm_head.weight", "score.weight" };

    /// <summary>Loads weights from <paramref name="checkpoint"/>; returns the skipped tensors (caller disposes).</summary>
    internal Dictionary<string, Tensor> LoadWeights(Checkpoint checkpoint, IReadOnlySet<string> skip,
        IReadOnlySet<string>? absent = null, IReadOnlySet<string>? ignore = null) =>
        WeightLoader.Load(this, checkpoint, Config.BackbonePrefix, HeadNames, skip, absent, ignore);

    internal static void CheckDeclaredHead(ModelConfig config, ModelHead wanted, string folder)
    {
        if (config.Architectures.Count == 0) return;
        string architecture = config.Architectures[0];
        var declared = config.DeclaredHead;
        if (declared is null)
            throw new UserError($"{Path.Combine(folder, ModelFolder.ConfigFileName)}: field 'architectures': '{architecture}' is not supported (supported: {config.CausalLMArchitecture}, {config.SequenceClassificationArchitecture})");
        if (declared != wanted)
            throw new UserError(wanted == ModelHead.CausalLM
                ? $"{folder}: is a reward/value model ({architecture}), not a causal language model"
                : $"{folder}: is a causal language model ({architecture}), not a reward/value model: build one with ScalarHeadModel.FromCausalLM");
    }
}

/// <summary>Names and helpers for a Hugging Face model folder.</summary>
public static class ModelFolder
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>Files a tokenizer folder may hold, copied beside a model so the folder is complete.</summary>
    public static readonly IReadOnlyList<string> TokenizerFileNames = new[]
    {
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
        "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt",
    };

    public static JsonObject DefaultGenerationConfig(ModelConfig config) => new()
    {
        ["_from_model_config"] = true,
        ["bos_token_id"] = config.BosTokenId,
        ["eos_token_id"] = config.EosTokenIds.Count == 1 ? config.EosTokenIds[0]
            : config.EosTokenIds.Count == 0 ? null : new JsonArray(config.EosTokenIds.Select(id => (JsonNode?)id).ToArray()),
        ["pad_token_id"] = config.PadTokenId,
    };

    /// <summary>generation_config.json of <paramref name="folder"/>, or null when absent.</summary>
    public static JsonObject? ReadGenerationConfig(string folder)
    {
        string path = Path.Combine(folder, GenerationConfigFileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new UserError($"{path}: must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON: {e.Message}");
        }
    }

    /// <summary>Copies the tokenizer files found in <paramref name="from"/> into <paramref name="to"/>; returns their names.</summary>
    public static IReadOnlyList<string> CopyTokenizerFiles(string from, string to)
    {
        var copied = new List<string>();
        Directory.CreateDirectory(to);
        foreach (string name in TokenizerFileNames)
        {
            string source = Path.Combine(from, name);
            if (!File.Exists(source)) continue;
            AtomicFile.WriteAllBytes(Path.Combine(to, name), File.ReadAllBytes(source));
            copied.Add(name);
        }
        return copied;
    }
}
