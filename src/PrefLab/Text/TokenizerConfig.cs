using System.Text.Json.Nodes;
using PrefLab.Text.Tokenization;

namespace PrefLab.Text;

/// <summary>
/// What a model folder's <c>tokenizer_config.json</c> (and <c>special_tokens_map.json</c>, whose entries win,
/// as in transformers) says about special tokens, BOS/EOS adding, the chat template and the length limit.
/// Token strings are as written; their ids are resolved by <see cref="HfTokenizer"/>. Missing entries are null.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    /// <summary>The Jinja chat template (the "default" one when the file lists several), or null.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>All named templates when chat_template is a list of {name, template} (transformers' form), else
    /// empty.</summary>
    public IReadOnlyDictionary<string, string> ChatTemplates { get; init; } = new Dictionary<string, string>();

    /// <summary>The template transformers would use: "tool_use" when tools are given and the file names one,
    /// else the default (a single string template, or the one named "default").</summary>
    public string? SelectChatTemplate(bool tools) =>
        tools && ChatTemplates.TryGetValue("tool_use", out var toolUse) ? toolUse : ChatTemplate;
    /// <summary>null when absent or "unlimited" (transformers writes 1e30 for that).</summary>
    public int? ModelMaxLength { get; init; }
    public string? TokenizerClass { get; init; }
    /// <summary>transformers' clean_up_tokenization_spaces for decode (false when absent, as in transformers 5).</summary>
    public bool CleanUpTokenizationSpaces { get; init; }

    public static readonly TokenizerConfig Empty = new();

    /// <summary>Reads the two files when present (either may be null: a missing file says nothing).</summary>
    public static TokenizerConfig Parse(string? configPath, string? configText, string? mapPath, string? mapText)
    {
        var config = Empty;
        if (configText is not null)
        {
            var json = new JsonFields(configPath ?? "tokenizer_config.json");
            var obj = json.Object(JsonFields.Parse(json.Path, configText), "(top level)");
            config = ApplySpecialTokens(config, obj, json);
            config = config with
            {
                AddBosToken = OptionalBool(obj, "add_bos_token", json),
                AddEosToken = OptionalBool(obj, "add_eos_token", json),
                ChatTemplate = ReadChatTemplate(obj["chat_template"], json),
                ChatTemplates = ReadChatTemplates(obj["chat_template"], json),
                ModelMaxLength = ReadMaxLength(obj["model_max_length"], json),
                TokenizerClass = json.OptionalString(obj, "tokenizer_class", "tokenizer_class"),
                CleanUpTokenizationSpaces = json.Bool(obj, "clean_up_tokenization_spaces", false, "clean_up_tokenization_spaces"),
            };
        }
        if (mapText is not null)
        {
            var json = new JsonFields(mapPath ?? "special_tokens_map.json");
            config = ApplySpecialTokens(config, json.Object(JsonFields.Parse(json.Path, mapText), "(top level)"), json);
        }
        return config;
    }

    static TokenizerConfig ApplySpecialTokens(TokenizerConfig c, JsonObject obj, JsonFields json)
    {
        string? Read(string key, string? current) => obj.ContainsKey(key) ? TokenString(obj[key], json, key) : current;
        var additional = c.AdditionalSpecialTokens;
        if (obj["additional_special_tokens"] is { } list)
            additional = json.Array(list, "additional_special_tokens")
                .Select((t, i) => TokenString(t, json, $"additional_special_tokens[{i}]") ?? "")
                .Where(t => t.Length > 0).ToArray();
        return c with
        {
            BosToken = Read("bos_token", c.BosToken),
            EosToken = Read("eos_token", c.EosToken),
            PadToken = Read("pad_token", c.PadToken),
            UnkToken = Read("unk_token", c.UnkToken),
            AdditionalSpecialTokens = additional,
        };
    }

    /// <summary>A token written as a string, or as an AddedToken object {"content": ..., ...}; null stays null.</summary>
    static string? TokenString(JsonNode? node, JsonFields json, string field) => node switch
    {
        null => null,
        JsonObject o => json.String(o["content"], field + ".content"),
        _ => json.String(node, field),
    };

    static bool? OptionalBool(JsonObject obj, string key, JsonFields json) =>
        obj[key] is null ? null : json.Bool(obj, key, false, key);

    static string? ReadChatTemplate(JsonNode? node, JsonFields json)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonArray list:
                for (int i = 0; i < list.Count; i++)
                {
                    var entry = json.Object(list[i], $"chat_template[{i}]");
                    if (json.String(entry["name"], $"chat_template[{i}].name") == "default")
                        return json.String(entry["template"], $"chat_template[{i}].template");
                }
                return null;
            default:
                return json.String(node, "chat_template");
        }
    }

    static Dictionary<string, string> ReadChatTemplates(JsonNode? node, JsonFields json)
    {
        var result = new Dictionary<string, string>();
        if (node is JsonArray list)
            for (int i = 0; i < list.Count; i++)
            {
                var entry = json.Object(list[i], $"chat_template[{i}]");
                result[json.String(entry["name"], $"chat_template[{i}].name")] = json.String(entry["template"], $"chat_template[{i}].template");
            }
        return result;
    }

    static int? ReadMaxLength(JsonNode? node, JsonFields json)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d))
            return d is > 0 and <= int.MaxValue ? (int)d : null;
        throw json.Error("model_max_length", "expected a number");
    }
}
