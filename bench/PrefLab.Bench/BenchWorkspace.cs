using PrefLab.Models;
using PrefLab.Models.Presets;
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

    /// <summary>A model of <paramref name="preset"/>'s shape with random weights (seed 1) and the World's tokenizer,
    /// saved as ROOT/<paramref name="name"/>; returns its folder.</summary>
    public string RandomModel(string preset, string name = "model")
    {
        string folder = Path.Combine(Root, name);
        var config = ModelPresets.Create(preset, TokenizerFacts.Read(Tokenizer));
        using (var model = CausalLM.Create(config, 1)) model.Save(folder);
        ModelFolder.CopyTokenizerFiles(Tokenizer, folder);
        return folder;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
