using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Text.Tokenization;

namespace PrefLab.Text;

/// <summary>Loads a Hugging Face tokenizer from a model folder: <c>tokenizer.json</c>, plus
/// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> when present.</summary>
public static class TokenizerLoader
{
    public const string TokenizerFile = "tokenizer.json";
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    // transformers' Llama-family fast tokenizers rebuild their post-processor from add_bos_token /
    // add_eos_token (LlamaTokenizerFast.update_post_processor), whatever tokenizer.json says.
    static readonly HashSet<string> ClassesWithBosEosFlags = new(StringComparer.Ordinal)
    {
        "LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast",
    };

    public static HfTokenizer Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new UserError(File.Exists(folder)
                ? $"{folder}: is a file; expected a model folder holding {TokenizerFile}"
                : $"{folder}: no such folder (expected a model folder holding {TokenizerFile})");
        string tokenizerPath = Path.Combine(folder, TokenizerFile);
        if (!File.Exists(tokenizerPath))
            throw new UserError($"{tokenizerPath}: not found (PrefLab reads Hugging Face's {TokenizerFile}; " +
                "a folder with only tokenizer.model or vocab.json/merges.txt needs converting with transformers first)");
        string configPath = Path.Combine(folder, ConfigFile);
        string mapPath = Path.Combine(folder, SpecialTokensMapFile);
        return Parse(ReadText(tokenizerPath), tokenizerPath,
            File.Exists(configPath) ? ReadText(configPath) : null, configPath,
            File.Exists(mapPath) ? ReadText(mapPath) : null, mapPath,
            folder);
    }

    /// <summary>Builds a tokenizer from the files' text (config and map may be null). The paths only name the
    /// files in error messages.</summary>
    public static HfTokenizer Parse(string tokenizerJson, string tokenizerPath, string? configJson = null, string? configPath = null,
        string? specialTokensMapJson = null, string? specialTokensMapPath = null, string? source = null)
    {
        var config = TokenizerConfig.Parse(configPath ?? ConfigFile, configJson, specialTokensMapPath ?? SpecialTokensMapFile, specialTokensMapJson);
        var json = new JsonFields(tokenizerPath);
        using var document = JsonFields.ParseDocument(tokenizerPath, tokenizerJson);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new UserError($"{tokenizerPath}: expected a JSON object at the top level");
        // Small components become JsonNode trees; the model's vocabulary and merges are read from the document.
        JsonNode? Component(string name) =>
            root.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? JsonNode.Parse(e.GetRawText()) : null;

        var normalizer = Normalizers.Parse(Component("normalizer"), json, "normalizer");
        var preTokenizer = PreTokenizers.Parse(Component("pre_tokenizer"), json, "pre_tokenizer");
        var model = TokenModels.Parse(root.TryGetProperty("model", out var modelElement) ? modelElement : default, json);
        var addedTokens = AddedVocabulary.Parse(Component("added_tokens"), json);
        var added = new AddedVocabulary(addedTokens, normalizer);
        var fileTemplate = SpecialTokenTemplate.Parse(Component("post_processor"), json);
        var template = fileTemplate;
        var decoder = Decoders.Parse(Component("decoder"), json);

        template = ApplyBosEosFlags(template, config, token => IdOf(token, addedTokens, model), tokenizerPath, configPath);
        string modelType = model is WordLevelModel ? "WordLevel" : "BPE";
        return new HfTokenizer(source ?? Path.GetDirectoryName(tokenizerPath) ?? tokenizerPath, tokenizerPath, added, normalizer, preTokenizer,
            model, fileTemplate, template, decoder, config, modelType);
    }

    static int? IdOf(string token, List<AddedToken> added, ITokenModel model) =>
        added.FirstOrDefault(t => t.Content == token)?.Id ?? (model.Vocab.TryGetValue(token, out int id) ? id : null);

    /// <summary>The post-processor's specials, or for Llama-family tokenizer classes the ones add_bos_token /
    /// add_eos_token ask for (transformers' LlamaTokenizerFast defaults: BOS yes, EOS no).</summary>
    internal static SpecialTokenTemplate ApplyBosEosFlags(SpecialTokenTemplate fromFile, TokenizerConfig config, Func<string, int?> idOf,
        string tokenizerPath, string? configPath)
    {
        if (config.TokenizerClass is not { } cls || !ClassesWithBosEosFlags.Contains(cls)) return fromFile;
        bool addBos = config.AddBosToken ?? true, addEos = config.AddEosToken ?? false;
        int? bos = config.BosToken is null ? null : idOf(config.BosToken);
        int? eos = config.EosToken is null ? null : idOf(config.EosToken);
        if (addBos && bos is null)
            throw new UserError($"{configPath ?? ConfigFile}: add_bos_token is set but bos_token is {(config.BosToken is null ? "missing" : $"'{config.BosToken}', which is not in {tokenizerPath}")}");
        if (addEos && eos is null)
            throw new UserError($"{configPath ?? ConfigFile}: add_eos_token is set but eos_token is {(config.EosToken is null ? "missing" : $"'{config.EosToken}', which is not in {tokenizerPath}")}");
        return new SpecialTokenTemplate(addBos ? [bos!.Value] : [], addEos ? [eos!.Value] : []);
    }

    static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot be read: {e.Message}");
        }
    }
}
