using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PrefLab.Text;

namespace PrefLab.Tests.Text;

/// <summary>The tokenizer folders and goldens under tests/fixtures/tokenizers (see its README.md).</summary>
public static class TokenizerFixtures
{
    static readonly ConcurrentDictionary<string, HfTokenizer> loaded = new();
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

    /// <summary>Loaded once per test run: the Qwen3 file alone is 11 MB.</summary>
    public static HfTokenizer Load(string name) => loaded.GetOrAdd(name, n => TokenizerLoader.Load(Folder(n)));

    public static JsonObject Goldens(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "goldens", file)))!.AsObject();

    public static int[] Ints(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
}
