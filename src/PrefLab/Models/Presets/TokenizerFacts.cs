using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Models.Presets;

/// <summary>
/// What a new model needs from a tokenizer folder: the embedding size (largest id in the model vocabulary or the
/// added tokens, plus one) and the BOS/EOS/PAD ids named by tokenizer_config.json (looked up among the added
/// tokens and the vocabulary). Read without a tokenizer implementation, so a model can be made for any
/// tokenizer.json.
/// </summary>
public sealed record TokenizerFacts(int VocabSize, int? BosId, int? EosId, int? PadId)
{
    public static TokenizerFacts Read(string folder)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path))
            throw new UserError(Directory.Exists(folder) ? $"{folder}: no tokenizer.json" : $"{folder}: no such tokenizer folder");
        var json = Parse(path) as JsonObject ?? throw new UserError($"{path}: must hold a JSON object");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int maxId = -1;
        switch (json["model"]?["vocab"])
        {
            case JsonObject map: // BPE, WordLevel, WordPiece: token -> id
                foreach (var (token, id) in map)
                {
                    int value = Id(id, path, $"model.vocab[{token}]");
                    ids[token] = value;
                    maxId = Math.Max(maxId, value);
                }
                break;
            case JsonArray pieces: // Unigram: [piece, score] at index = id
                for (int i = 0; i < pieces.Count; i++)
                    if (pieces[i] is JsonArray { Count: > 0 } piece && piece[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                        ids[v.GetValue<string>()] = i;
                maxId = pieces.Count - 1;
                break;
            default:
                throw new UserError($"{path}: field 'model.vocab': missing");
        }
        if (json["added_tokens"] is JsonArray added)
        {
            foreach (var token in added.OfType<JsonObject>())
            {
                int id = Id(token["id"], path, "added_tokens.id");
                if (token["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String) ids[c.GetValue<string>()] = id;
                maxId = Math.Max(maxId, id);
            }
        }
        if (maxId < 0) throw new UserError($"{path}: the vocabulary is empty");
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        int? bos = null, eos = null, pad = null;
        if (File.Exists(configPath))
        {
            var config = Parse(configPath) as JsonObject ?? throw new UserError($"{configPath}: must hold a JSON object");
            bos = Lookup(config, "bos_token", ids, configPath);
            eos = Lookup(config, "eos_token", ids, configPath);
            pad = Lookup(config, "pad_token", ids, configPath);
        }
        return new TokenizerFacts(maxId + 1, bos, eos, pad);
    }

    static int? Lookup(JsonObject config, string field, Dictionary<string, int> ids, string path)
    {
        string? token = config[field] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonObject o when o["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
            _ => throw new UserError($"{path}: field '{field}': must be a token string or {{\"content\": ...}}"),
        };
        if (token is null) return null;
        return ids.TryGetValue(token, out int id) ? id
            : throw new UserError($"{path}: field '{field}': token '{token}' is not in the tokenizer's vocabulary or added tokens");
    }

    static int Id(JsonNode? node, string path, string field) =>
        node is JsonValue v && v.TryGetValue(out int id) && id >= 0 ? id
            : throw new UserError($"{path}: field '{field}': must be a non-negative whole number");

    static JsonNode? Parse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON: {e.Message}");
        }
    }
}
