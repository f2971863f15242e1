using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrefLab.Text;

namespace PrefLab.Tests.Text;

/// <summary>The tokenizer folders and goldens under tests/fixtures/tokenizers (see its README.md).</summary>
public static class TokenizerFixtures
{
    static readonly ConcurrentDictionary<string, HfTokenizer> loaded = new();
    static readonly ConcurrentDictionary<string, HfTokenizer> byFileHash = new();
    static readonly Lazy<string> root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "tokenizers");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/tokenizers not found above " + AppContext.BaseDirectory);
    });

    public static string Root => root.Value;

    public static string Folder(string name) => Path.Combine(Root, name);

    /// <summary>Loaded once per test run (the Qwen3 file alone is 11 MB); folders whose tokenizer.json is
    /// byte-identical to one already loaded share it through <see cref="HfTokenizer.WithConfig"/>.</summary>
    public static HfTokenizer Load(string name) => loaded.GetOrAdd(name, n =>
    {
        if (n == "mistral-metaspace") return MistralMetaspace();
        string folder = Folder(n);
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "tokenizer.json"))));
        if (byFileHash.TryGetValue(hash, out var same))
        {
            string configPath = Path.Combine(folder, "tokenizer_config.json");
            var config = TokenizerConfig.Parse(configPath, File.Exists(configPath) ? File.ReadAllText(configPath) : null, null, null);
            return same.WithConfig(config, folder);
        }
        var tokenizer = TokenizerLoader.Load(folder);
        byFileHash.TryAdd(hash, tokenizer);
        return tokenizer;
    });

    /// <summary>mistral/tokenizer.json in the newer Llama 2 / Mistral v0.3 / TinyLlama form: no normalizer, a
    /// Metaspace pre-tokenizer (prepend_scheme "first", no split), built as make_goldens.mjs builds it.</summary>
    static HfTokenizer MistralMetaspace()
    {
        string folder = Folder("mistral");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")))!.AsObject();
        json["normalizer"] = null;
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false };
        string config = Path.Combine(folder, "tokenizer_config.json");
        return TokenizerLoader.Parse(json.ToJsonString(), "mistral-metaspace/tokenizer.json", File.ReadAllText(config), config);
    }

    public static JsonObject Goldens(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "goldens", file)))!.AsObject();

    public static int[] Ints(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
}
