using System.Text.Json;
using PrefLab.Runtime;
using PrefLab.World.Knowledge;
using PrefLab.World.Language;
using PrefLab.World.Scoring;
using PrefLab.World.Tasks;

namespace PrefLab.World;

/// <summary>
/// A Preference World in memory: its knowledge base, every task it emitted, and the gold judge over them.
/// <see cref="Load"/> reads only world.json from the folder and regenerates the rest from the seed and scale
/// (well under a second), after checking that this code plans the same world (world.json's fingerprint).
/// </summary>
public sealed class WorldInstance
{
    WorldInstance(WorldPlan plan, string? directory)
    {
        Plan = plan;
        Directory = directory;
        Judge = new GoldJudge(plan.Knowledge, plan.AllTasks);
    }

    public WorldPlan Plan { get; }
    public long Seed => Plan.Seed;
    public WorldScale Scale => Plan.Scale;
    public KnowledgeBase Knowledge => Plan.Knowledge;
    public GoldJudge Judge { get; }
    public Vocabulary Vocabulary => Vocabulary.Standard;
    /// <summary>The folder it was loaded from (null when created in memory).</summary>
    public string? Directory { get; }

    /// <summary>The held-out eval items of a category, as in eval/CATEGORY.jsonl.</summary>
    public IReadOnlyList<EvalItem> EvalItems(string category) =>
        Plan.Eval.TryGetValue(category, out var items) ? items : throw new ArgumentException($"unknown category '{category}'", nameof(category));

    /// <summary>The task behind an emitted prompt (throws <see cref="UnknownPromptException"/> otherwise).</summary>
    public WorldTask TaskFor(string prompt) => Judge.TaskFor(prompt);

    public static WorldInstance Create(long seed, WorldScale scale) => new(WorldPlan.Create(seed, scale), null);

    public static WorldInstance Load(string worldDirectory)
    {
        string path = Path.Combine(worldDirectory, WorldManifest.FileName);
        if (!File.Exists(path))
            throw new UserError($"{worldDirectory}: not a Preference World folder (no {WorldManifest.FileName}); create one with `preflab world generate`");
        long seed;
        WorldScale scale;
        string fingerprint;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (!root.TryGetProperty("format", out var format) || format.GetString() != WorldManifest.Format)
                throw UserError.InFile(path, 1, "format", $"expected \"{WorldManifest.Format}\"");
            int version = root.GetProperty("generator_version").GetInt32();
            if (version != WorldGenerator.Version)
                throw UserError.InFile(path, 1, "generator_version",
                    $"this world was made by World generator version {version}; this PrefLab regenerates version {WorldGenerator.Version} — generate the world again");
            seed = root.GetProperty("seed").GetInt64();
            scale = WorldSize.Parse(root.GetProperty("scale").GetString() ?? "");
            fingerprint = root.GetProperty("fingerprint").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new UserError($"{path}: not a readable world manifest ({e.Message})", e);
        }
        var plan = WorldPlan.Create(seed, scale);
        if (plan.Fingerprint() != fingerprint)
            throw UserError.InFile(path, 1, "fingerprint",
                "this PrefLab does not regenerate the same world from its seed (the generator changed) — generate the world again");
        return new WorldInstance(plan, Path.GetFullPath(worldDirectory));
    }
}
