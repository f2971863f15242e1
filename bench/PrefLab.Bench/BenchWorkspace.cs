using PrefLab.World;

namespace PrefLab.Bench;

/// <summary>A benchmark's scratch folder under the system temp folder, holding a small Preference World for its
/// tokenizer, prompts and text; deleted on dispose (best effort: a file a child process still holds is left).</summary>
public sealed class BenchWorkspace : IDisposable
{
    BenchWorkspace(string root)
    {
        Root = root;
        World = Path.Combine(root, "world");
        WorldGenerator.Generate(World, seed: 1, WorldScale.Small);
    }

    public string Root { get; }
    public string World { get; }
    public string Tokenizer => Path.Combine(World, "tokenizer");

    /// <summary>A new folder named for the benchmark (<c>preflab-bench-NAME-xxxxxxxx</c>) with its World.</summary>
    public static BenchWorkspace Create(string name) =>
        new(Path.Combine(Path.GetTempPath(), $"preflab-bench-{name}-{Guid.NewGuid().ToString("N")[..8]}"));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
