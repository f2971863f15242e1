using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Lab.Grid;
using PrefLab.Runtime;

namespace PrefLab.Lab.Plan;

/// <summary>
/// Builds the DAG of a grid: for each run, the chain world → pretrain → SFT → (reward model → RM evaluation) →
/// policy → evaluation (or best-of-N), with each node's settings as the trainer's option names. Nodes are keyed by
/// content hash, so work shared between runs (the base model, SFT, each distinct reward model) appears once.
/// </summary>
public sealed class LabPlanner(ContentHasher hasher, Func<NodeKind, string> fingerprint)
{
    readonly Dictionary<string, LabNode> nodes = new(StringComparer.Ordinal);
    readonly List<LabNode> order = [];
    readonly Dictionary<string, string> pathHashes = new(StringComparer.Ordinal);

    public static LabPlan Build(GridSpec grid, ContentHasher hasher, Func<NodeKind, string> fingerprint) =>
        new LabPlanner(hasher, fingerprint).Plan(grid, GridExpansion.Expand(grid));

    public LabPlan Plan(GridSpec grid, IReadOnlyList<GridRun> runs)
    {
        var planned = new List<PlannedRun>();
        foreach (var run in runs) planned.Add(PlanRun(grid, run));
        return new LabPlan(grid, planned, order.ToList());
    }

    PlannedRun PlanRun(GridSpec grid, GridRun run)
    {
        var s = run.Resolved;
        var world = WorldInput(s);
        var sft = SftInput(s.Section("sft"), s.Section("pretrain"), world, presetOverride: null);
        string runLabel = RunLabel(run);

        LabNode? rm = null, rmEval = null;
        var rmInputs = new List<NodeInput>();
        var algorithm = s.Section("algorithm").With("algorithm", run.Type.Name());
        switch (s.GetString("reward_model.source"))
        {
            case "gold":
                algorithm = algorithm.With("reward", "gold");
                break;
            case "trained":
                rm = TrainedRewardModel(grid, s, world, sft, run.Labels.RewardModel!, run.Labels.Data);
                rmInputs.Add(NodeInput.Node(InputRoles.RewardModel, rm));
                rmEval = RmEvaluation(s.Section("rm_evaluation"), rmInputs, world, $"evaluate {rm.Label}");
                break;
            case "ensemble":
            {
                // Each member's node is the one its own level plans (same settings and inputs, so the same id): members
                // are trained once, whichever runs need them. The combination is the commands' own options.
                var members = grid.RewardModel(run.Labels.RewardModel!).Ensemble!.Members;
                for (int i = 0; i < members.Count; i++)
                {
                    var view = MemberView(s, i);
                    string? data = grid.Data.FirstOrDefault(d => d.Settings.Equals(view.Section("data")))?.Name ?? members[i] + ":data";
                    rmInputs.Add(NodeInput.Node(InputRoles.EnsembleMember(i), TrainedRewardModel(grid, view, world, sft, members[i], data)));
                }
                var rule = Settings.Empty.With("ensemble", s.GetString("reward_model.combine")!);
                if (s["reward_model.weights"] is { } weights) rule = rule.With("ensemble-weights", weights);
                algorithm = algorithm.Merge(rule);
                rmEval = RmEvaluation(s.Section("rm_evaluation").Merge(rule), rmInputs, world,
                    $"evaluate reward model {run.Labels.RewardModel} ({string.Join(" + ", members)})" + (run.Labels.Data is null ? "" : $" on {run.Labels.Data}"));
                break;
            }
        }

        LabNode? policy = null;
        LabNode result;
        if (run.Type == AlgorithmType.BestOfN)
        {
            var settings = Flatten(grid, "best-of-n " + run.Labels.Algorithm, (algorithm, null), (s.Section("evaluation"), null))
                .With("seed", run.Seed);
            result = Add(NodeKind.BestOfN, settings, [sft.WithRole(InputRoles.Model), .. rmInputs, .. world], runLabel);
        }
        else
        {
            var modelInput = sft.WithRole(InputRoles.Model);
            if (run.Type.TrainsPolicy())
            {
                var parts = new List<(Settings, Dictionary<string, string>?)> { (algorithm, null) };
                if (run.Type.UsesPreferenceData()) parts.Add((s.Section("data"), new() { ["file"] = "data" }));
                if (run.Type.UsesPrompts()) parts.Add((s.Section("prompts"), new() { ["file"] = "prompts" }));
                var settings = Flatten(grid, run.Labels.Algorithm, parts.ToArray()).With("seed", run.Seed);
                policy = Add(NodeKind.Policy, settings, [modelInput, .. rmInputs, .. world], runLabel);
                modelInput = NodeInput.Node(InputRoles.Model, policy);
            }
            result = Add(NodeKind.Evaluation, s.Section("evaluation").With("seed", run.Seed), [modelInput, .. world], "evaluate " + runLabel);
        }
        string configKey = ContentHasher.ShortId(s.Without("seed").ToCanonicalJson());
        return new PlannedRun(run, result.Id, configKey, result.Id, policy?.Id, rm?.Id, rmEval?.Id, sft.NodeId);
    }

    /// <summary>The reward-model node of a run whose reward model is trained (or of an ensemble member's view).</summary>
    LabNode TrainedRewardModel(GridSpec grid, Settings s, NodeInput[] world, NodeInput sft, string name, string? dataLabel)
    {
        var rmSection = s.Section("reward_model");
        NodeInput init;
        if (rmSection.GetString("model") is { } external) init = External(InputRoles.Model, external);
        else if (rmSection.GetString("preset") is { } preset && s.Section("pretrain").GetString("preset") != preset)
            init = SftInput(s.Section("sft"), s.Section("pretrain"), world, preset);
        else init = sft;
        var settings = Flatten(grid, "reward model " + name,
            (s.Section("data"), new Dictionary<string, string> { ["file"] = "data" }),
            (rmSection.Without("source", "model"), null));
        return Add(NodeKind.RewardModel, settings, [init, .. world], $"reward model {name}" + (dataLabel is null ? "" : $" on {dataLabel}"));
    }

    /// <summary>The RM evaluation node over <paramref name="rewardModels"/>, when the grid evaluates reward models.</summary>
    LabNode? RmEvaluation(Settings settings, IReadOnlyList<NodeInput> rewardModels, NodeInput[] world, string label) =>
        settings.Without("ensemble", "ensemble-weights").Count > 0 ? Add(NodeKind.RmEvaluation, settings, [.. rewardModels, .. world], label) : null;

    /// <summary>An ensemble run's settings as a run of member <paramref name="index"/>'s own level would have them.</summary>
    static Settings MemberView(Settings s, int index) =>
        Settings.From(s.Pairs.Where(p => !(p.Key.StartsWith("reward_model.", StringComparison.Ordinal) || p.Key.StartsWith("data.", StringComparison.Ordinal)
                || p.Key.StartsWith("rm_evaluation.", StringComparison.Ordinal) || p.Key.StartsWith("ensemble.", StringComparison.Ordinal))))
            .Merge(s.Section(GridExpansion.EnsembleMemberPrefix(index)));

    static string RunLabel(GridRun run)
    {
        var parts = new List<string> { run.Labels.Algorithm };
        if (run.Labels.Data is { } data) parts.Add(data);
        if (run.Labels.RewardModel is { } rm) parts.Add("rm " + rm);
        if (run.Labels.Prompts is { } prompts) parts.Add("prompts " + prompts);
        parts.Add("seed " + run.Seed);
        return string.Join(" ", parts);
    }

    NodeInput[] WorldInput(Settings s)
    {
        var world = s.Section("world");
        if (world.Count == 0) return [];
        if (world.GetString("folder") is { } folder) return [External(InputRoles.World, folder)];
        return [NodeInput.Node(InputRoles.World, Add(NodeKind.World, world, [], "world"))];
    }

    /// <summary>The SFT model as an input: an existing folder, or the SFT node over the pretrain node (of
    /// <paramref name="presetOverride"/> when a reward model has a preset of its own).</summary>
    NodeInput SftInput(Settings sft, Settings pretrain, NodeInput[] world, string? presetOverride)
    {
        if (sft.GetString("model") is { } sftModel) return External(InputRoles.Model, sftModel);
        NodeInput baseInput;
        if (pretrain.GetString("model") is { } baseModel) baseInput = External(InputRoles.Base, baseModel);
        else
        {
            var settings = presetOverride is null ? pretrain : pretrain.With("preset", presetOverride);
            var node = Add(NodeKind.Pretrain, settings, [.. world], "pretrain " + settings.GetString("preset"));
            baseInput = NodeInput.Node(InputRoles.Base, node);
        }
        var sftNode = Add(NodeKind.Sft, sft, [baseInput, .. world], presetOverride is null ? "sft" : "sft " + presetOverride);
        return NodeInput.Node(InputRoles.Model, sftNode);
    }

    NodeInput External(string role, string path)
    {
        if (!pathHashes.TryGetValue(path, out var hash)) pathHashes[path] = hash = hasher.HashPath(path);
        return NodeInput.External(role, path, hash);
    }

    /// <summary>Merges sections into one flat option set (renaming keys such as data.file → data), refusing an
    /// option that two sections both set.</summary>
    static Settings Flatten(GridSpec grid, string context, params (Settings Section, Dictionary<string, string>? Renames)[] parts)
    {
        var result = Settings.Empty;
        foreach (var (section, renames) in parts)
            foreach (var (key, value) in section.Pairs)
            {
                string name = renames is not null && renames.TryGetValue(key, out var renamed) ? renamed : key;
                if (result.Contains(name))
                    throw new UserError($"{grid.Path}: {context}: option '{name}' is set twice (by two of: the algorithm, its data, its prompts, the evaluation); keep one");
                result = result.With(name, value);
            }
        return result;
    }

    LabNode Add(NodeKind kind, Settings settings, IReadOnlyList<NodeInput> inputs, string label)
    {
        string id = ContentHasher.ShortId(KeyText(kind, settings, inputs));
        if (nodes.TryGetValue(id, out var existing)) return existing;
        var node = new LabNode(id, kind, settings, inputs, label);
        nodes[id] = node;
        order.Add(node);
        return node;
    }

    /// <summary>The canonical text a node id hashes: kind, executor fingerprint, settings with every existing absolute
    /// path replaced by its content hash, and inputs by role.</summary>
    string KeyText(NodeKind kind, Settings settings, IReadOnlyList<NodeInput> inputs)
    {
        var content = Settings.From(settings.Pairs.Select(p => new KeyValuePair<string, JsonNode>(p.Key, ContentOf(p.Value))));
        var text = new StringBuilder();
        text.Append("{\"fingerprint\":").Append(JsonSerializer.Serialize(fingerprint(kind)))
            .Append(",\"inputs\":{")
            .Append(string.Join(",", inputs.OrderBy(i => i.Role, StringComparer.Ordinal)
                .Select(i => JsonSerializer.Serialize(i.Role) + ":" + JsonSerializer.Serialize(i.Hash))))
            .Append("},\"kind\":").Append(JsonSerializer.Serialize(kind.Name()))
            .Append(",\"settings\":").Append(content.ToCanonicalJson()).Append('}');
        return text.ToString();
    }

    JsonNode ContentOf(JsonNode value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var text) && Path.IsPathRooted(text) && (File.Exists(text) || Directory.Exists(text)))
        {
            if (!pathHashes.TryGetValue(text, out var hash)) pathHashes[text] = hash = hasher.HashPath(text);
            return JsonValue.Create("sha256:" + hash);
        }
        return value;
    }
}

internal static class PlanningExtensions
{
    /// <summary>The keys under <c>prefix.</c>, with the prefix removed.</summary>
    public static Settings Section(this Settings settings, string prefix) =>
        Settings.From(settings.Pairs.Where(p => p.Key.StartsWith(prefix + ".", StringComparison.Ordinal))
            .Select(p => new KeyValuePair<string, JsonNode>(p.Key[(prefix.Length + 1)..], p.Value)));

    public static NodeInput WithRole(this NodeInput input, string role) => input with { Role = role };
}
