using System.Text.Json.Nodes;
using PrefLab.Evaluation.Suites;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Caching;

/// <summary>
/// Generations kept across evaluations, keyed by <see cref="GenerationKey"/>, in DIR/generations.jsonl: one compact
/// object a line, {"key", "model", "text", "tokens", "finish_reason"}, appended after every generated chunk (so an
/// interrupted run keeps what it finished) through <see cref="JsonlAppender"/> (whole lines, one write, exclusive
/// handle, flushed; a torn last line is ignored when read). The latest line of a key wins. File hashes of model
/// folders are remembered beside it in DIR/file-hashes.jsonl (<see cref="FileHashMemo"/>).
/// </summary>
public sealed class GenerationCache
{
    public const string GenerationsFile = "generations.jsonl";
    public const string FileHashesFile = "file-hashes.jsonl";

    readonly Dictionary<string, GeneratedText> entries = new(StringComparer.Ordinal);

    GenerationCache(string directory)
    {
        Directory = directory;
        FileHashes = new FileHashMemo(Path.Combine(directory, FileHashesFile));
        foreach (var row in JsonlAppender.ReadObjects(GenerationsPath))
        {
            if (row["key"]?.GetValue<string>() is not string key || row["text"]?.GetValue<string>() is not string text) continue;
            var tokens = row["tokens"] is JsonArray array ? array.Select(t => t!.GetValue<int>()).ToArray() : [];
            entries[key] = new GeneratedText(text, tokens, row["finish_reason"]?.GetValue<string>() ?? "");
        }
    }

    /// <summary>Opens (creating) the cache in <paramref name="directory"/>.</summary>
    public static GenerationCache Open(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        return new GenerationCache(Path.GetFullPath(directory));
    }

    public string Directory { get; }
    public string GenerationsPath => Path.Combine(Directory, GenerationsFile);
    public FileHashMemo FileHashes { get; }
    public int Count => entries.Count;

    public bool TryGet(string key, out GeneratedText generated) => entries.TryGetValue(key, out generated!);

    /// <summary>Adds entries and appends them to the file in one write.</summary>
    public void Add(string modelFingerprint, IReadOnlyList<(string Key, GeneratedText Generated)> added)
    {
        var lines = new List<string>(added.Count);
        foreach (var (key, generated) in added)
        {
            entries[key] = generated;
            lines.Add(new JsonObject
            {
                ["key"] = key,
                ["model"] = modelFingerprint[..16],
                ["text"] = generated.Text,
                ["tokens"] = new JsonArray(generated.TokenIds.Select(t => (JsonNode)t).ToArray()),
                ["finish_reason"] = generated.FinishReason,
            }.ToJsonString());
        }
        JsonlAppender.Append(GenerationsPath, lines);
    }
}
