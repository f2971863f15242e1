using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Models.Config;

/// <summary>Reads a model folder's <c>config.json</c> into the record of its family.</summary>
public static class ModelConfigs
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = new[] { "llama", "mistral", "qwen2", "qwen3", "gpt2" };

    /// <summary>Reads <paramref name="folderOrFile"/> (a model folder or its config.json).</summary>
    public static ModelConfig Load(string folderOrFile)
    {
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "config.json") : folderOrFile;
        if (!File.Exists(path))
            throw new UserError(Directory.Exists(folderOrFile)
                ? $"{folderOrFile}: not a model folder (no config.json)"
                : $"{folderOrFile}: no such model folder or config file");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}");
        }
        if (node is not JsonObject json) throw new UserError($"{path}: must hold a JSON object");
        return Parse(json, path);
    }

    /// <summary>Binds a parsed config object; <paramref name="path"/> names it in errors.</summary>
    public static ModelConfig Parse(JsonObject json, string path)
    {
        var reader = new ConfigReader(json, path);
        string modelType = reader.String("model_type") ?? throw reader.Error("model_type", "missing");
        return modelType switch
        {
            "llama" => LlamaConfig.Read(reader),
            "mistral" => MistralConfig.Read(reader),
            "qwen2" => Qwen2Config.Read(reader),
            "qwen3" => Qwen3Config.Read(reader),
            "gpt2" => Gpt2Config.Read(reader),
            _ => throw reader.Error("model_type", $"model type '{modelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})"),
        };
    }
}
