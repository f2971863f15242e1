using System.Text.Json.Nodes;
using PrefLab.World;
using Xunit;

namespace PrefLab.Tests.World;

/// <summary>One small world (seed 1) generated once for the World tests, with its loaded instance.</summary>
public sealed class SmallWorldFixture : IDisposable
{
    public const long Seed = 1;
    readonly TempDir temp = new();

    public SmallWorldFixture()
    {
        Directory = Path.Combine(temp.Path, "world");
        Generated = WorldGenerator.Generate(Directory, Seed, WorldScale.Small);
        Instance = WorldInstance.Load(Directory);
        Manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "world.json")))!;
    }

    public string Directory { get; }
    public GeneratedWorld Generated { get; }
    public WorldInstance Instance { get; }
    public JsonNode Manifest { get; }

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    /// <summary>The rows of a JSONL file of the world.</summary>
    public List<JsonNode> Rows(string relative) =>
        File.ReadAllLines(PathOf(relative)).Select(l => JsonNode.Parse(l)!).ToList();

    public void Dispose() => temp.Dispose();
}

[CollectionDefinition("SmallWorld")]
public sealed class SmallWorldCollection : ICollectionFixture<SmallWorldFixture>;
