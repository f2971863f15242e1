using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Plan;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;

namespace PrefLab.Lab.Execution;

/// <summary>
/// Everything an executor needs for one node: its settings (trainer option names), its inputs as folders, where to
/// write, whether it is resuming, a way to report progress, and a cancellation token.
/// </summary>
public sealed class NodeWork
{
    readonly Action<string> status;

    public NodeWork(LabNode node, string outputFolder, IReadOnlyDictionary<string, string> inputs, bool resume,
        Action<string>? status = null, CancellationToken cancellation = default)
    {
        Node = node;
        OutputFolder = outputFolder;
        Inputs = inputs;
        Resume = resume;
        this.status = status ?? (_ => { });
        Cancellation = cancellation;
    }

    public LabNode Node { get; }
    public NodeKind Kind => Node.Kind;
    public Settings Settings => Node.Settings;

    /// <summary>The node's folder, <c>LAB/work/KIND/ID/</c> (absolute); it exists when the executor is called.
    /// Fresh work gets an empty folder; resumed work gets the folder as the interrupted attempt left it.</summary>
    public string OutputFolder { get; }

    /// <summary>Input role (<see cref="InputRoles"/>) → absolute folder or file.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; }

    /// <summary>True when an earlier attempt was interrupted: continue from the output folder's last checkpoint.</summary>
    public bool Resume { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>The seed of this node (settings["seed"]; 1 when the kind has none).</summary>
    public long Seed => Settings.GetLong("seed") ?? 1;

    public string Input(string role) => Inputs.TryGetValue(role, out var path) ? path
        : throw new InvalidOperationException($"{Node}: has no '{role}' input (it has {string.Join(", ", Inputs.Keys)})");

    public string? WorldFolder => Inputs.GetValueOrDefault(InputRoles.World);

    /// <summary>The reward model folders: the one <see cref="InputRoles.RewardModel"/>, or an ensemble's members in
    /// their order (<see cref="InputRoles.EnsembleMember"/>); empty when the node has none (the gold scorer).</summary>
    public IReadOnlyList<string> RewardModels => Inputs.TryGetValue(InputRoles.RewardModel, out var single) ? [single]
        : InputRoles.EnsembleMembers(Inputs.Keys).Select(role => Inputs[role]).ToList();

    /// <summary>Settings a node kind that does not pass them on to a command does not understand are an error, not
    /// silently ignored.</summary>
    public void RejectUnknownSettings(params string[] known)
    {
        var unknown = Settings.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UserError($"{Node}: unknown {Kind.Name()} option(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known)}");
    }

    /// <summary>Shows a short status beside the lab's queue line (e.g. "step 120/1000 loss 0.41").</summary>
    public void Status(string text) => status(text);

    /// <summary>A progress task for the node's own steps, shown as the queue line's status (trainers' own bars stay
    /// quiet while a lab runs, so the two never fight over the terminal).</summary>
    public IProgressTask StartProgress(long total, string unit = "step") => new StatusProgress(this, total, unit);

    /// <summary>
    /// The file a setting names: absolute paths as they are; <c>world:NAME</c> inside the World folder —
    /// <c>preferences/NAME.jsonl</c> for preference data, <c>prompts/NAME.jsonl</c> for prompts, <c>NAME.jsonl</c>
    /// for pretraining and SFT corpora (and any other relative path inside the World as written).
    /// </summary>
    public string File(string key)
    {
        string value = Settings.GetString(key) ?? throw new InvalidOperationException($"{Node}: has no setting '{key}'");
        if (!value.StartsWith(GridFile.WorldPrefix, StringComparison.Ordinal)) return value;
        string world = WorldFolder ?? throw new InvalidOperationException($"{Node}: '{value}' needs a World input");
        return WorldRefs.Resolve(world, value[GridFile.WorldPrefix.Length..], Kind, key);
    }

    /// <summary>The settings as command-line tokens (<c>--lr 1e-05 --beta 0.1 ...</c>), leaving out
    /// <paramref name="except"/>; lists become repeated options; world references are resolved to files.</summary>
    public IReadOnlyList<string> OptionTokens(params string[] except)
    {
        var tokens = new List<string>();
        foreach (var (key, value) in Settings.Pairs)
        {
            if (except.Contains(key)) continue;
            var values = value is JsonArray array ? array.Select(v => Settings.ValueText(v!)) : [Settings.ValueText(value)];
            foreach (string text in values)
            {
                tokens.Add("--" + key);
                tokens.Add(text.StartsWith(GridFile.WorldPrefix, StringComparison.Ordinal) ? File(key) : text);
            }
        }
        return tokens;
    }

    sealed class StatusProgress(NodeWork work, long total, string unit) : IProgressTask
    {
        long position;
        string detail = "";

        public void Advance(long amount = 1) { position += amount; Show(); }
        public void SetPosition(long newPosition) { position = newPosition; Show(); }
        public void SetStatus(string newStatus) { detail = newStatus; Show(); }
        public void Dispose() { }

        void Show() => work.Status(string.Create(CultureInfo.InvariantCulture,
            $"{unit} {position}/{total}{(detail.Length > 0 ? " " + detail : "")}"));
    }
}

/// <summary>Where <c>world:NAME</c> points inside a World folder (DESIGN.md, "Preference World folder").</summary>
public static class WorldRefs
{
    public static string Resolve(string world, string name, NodeKind kind, string key)
    {
        var candidates = new List<string>();
        if (name.Contains('/') || name.EndsWith(".jsonl", StringComparison.Ordinal)) candidates.Add(name);
        if (key == "prompts") candidates.Add($"prompts/{name}.jsonl");
        if (kind is NodeKind.Pretrain or NodeKind.Sft) candidates.Add($"{name}.jsonl");
        candidates.Add($"preferences/{name}.jsonl");
        candidates.Add($"prompts/{name}.jsonl");
        candidates.Add($"{name}.jsonl");
        foreach (string candidate in candidates.Distinct())
        {
            string path = Path.Combine(world, candidate);
            if (System.IO.File.Exists(path)) return path;
        }
        throw new UserError($"world:{name}: no such file in the World {world} (looked for {string.Join(", ", candidates.Distinct())})");
    }
}
