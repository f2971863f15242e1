using System.Text.Json.Nodes;

namespace PrefLab.Bench;

/// <summary>
/// Benchmark data of exact lengths in the real formats: texts of N words of a WordLevel tokenizer's vocabulary
/// (one token a word, so every rendered example has the same length and batches carry no padding unless asked).
/// </summary>
public static class SyntheticData
{
    /// <summary>The plain lowercase words of a tokenizer.json vocabulary (no specials, digits or punctuation).</summary>
    public static string[] Words(string tokenizerFolder)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(tokenizerFolder, "tokenizer.json")))!;
        return json["model"]!["vocab"]!.AsObject().Select(p => p.Key).Where(w => w.Length > 1 && w.All(char.IsAsciiLetterLower)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>N words drawn from <paramref name="words"/>.</summary>
    public static string Text(string[] words, int count, Random random) => string.Join(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));

    /// <summary>A pairwise JSONL file: prompts of <paramref name="promptWords"/> words, completions of <paramref name="completionWords"/>.</summary>
    public static void Pairs(string path, string[] words, int count, int promptWords, int completionWords, int seed)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(_ => new JsonObject
        {
            ["prompt"] = Text(words, promptWords, random),
            ["chosen"] = Text(words, completionWords, random),
            ["rejected"] = Text(words, completionWords, random),
        }.ToJsonString()));
    }

    /// <summary>A prompts JSONL file of prompts of <paramref name="promptWords"/> words.</summary>
    public static void Prompts(string path, string[] words, int count, int promptWords, int seed)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(_ => new JsonObject { ["prompt"] = Text(words, promptWords, random) }.ToJsonString()));
    }
}
