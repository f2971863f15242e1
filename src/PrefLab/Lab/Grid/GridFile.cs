using System.Text.RegularExpressions;
using PrefLab.Data.Reading;
using PrefLab.Runtime;
using YamlDotNet.RepresentationModel;

namespace PrefLab.Lab.Grid;

/// <summary>
/// Reads and validates a grid file (YAML or JSON). Every error names the file, the line and the key. Relative
/// paths are resolved against the grid file's folder and must exist; <c>world:NAME</c> references need a
/// <c>world</c> section. See the lab documentation for the format.
/// </summary>
public static partial class GridFile
{
    public const string WorldPrefix = "world:";


    static readonly string[] TopLevelKeys =
        ["name", "world", "pretrain", "sft", "data", "algorithm", "reward_model", "prompts", "fixed", "evaluation", "rm_evaluation", "seeds", "exclude", "include"];

    /// <summary>Options the lab sets itself and a grid may not: outputs, resumption, and what the factors decide.</summary>
    static readonly HashSet<string> LabOwnedOptions = ["output", "resume", "config", "seed", "data", "prompts", "model", "policy", "reward-model", "reward", "world", "algorithm", "type",
        "ensemble", "ensemble-weights"];

    public static GridSpec Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new UserError($"grid file not found: {path}");
        return Parse(File.ReadAllText(full), full);
    }

    public static GridSpec Parse(string text, string path)
    {
        var yaml = new GridYaml(path);
        // JSON is read as YAML flow syntax (keeping line numbers). YAML refuses tabs where JSON allows them as
        // whitespace; a raw tab can only be whitespace in valid JSON (inside strings it must be escaped).
        var root = yaml.LoadRoot(path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? text.Replace('\t', ' ') : text);
        var sections = new Dictionary<string, (YamlNode Key, YamlNode Value)>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value) in yaml.Entries(root, ""))
        {
            if (!TopLevelKeys.Contains(key))
                throw yaml.Error(keyNode, key, "unknown section; a grid has " + string.Join(", ", TopLevelKeys));
            sections[key] = (keyNode, value);
        }
        var reader = new Reader(yaml, System.IO.Path.GetDirectoryName(path) ?? ".", sections.ContainsKey("world"));
        YamlNode? Section(string key) => sections.TryGetValue(key, out var s) ? s.Value : null;
        YamlNode KeyOf(string key) => sections[key].Key;

        string name = Section("name") is { } nameNode ? reader.LevelName(nameNode, "name") : System.IO.Path.GetFileNameWithoutExtension(path);
        var world = Section("world") is { } worldNode ? reader.World(worldNode) : null;
        var pretrain = Section("pretrain") is { } pretrainNode ? reader.Pretrain(pretrainNode) : null;
        var sft = Section("sft") is { } sftNode ? reader.Sft(sftNode)
            : throw UserError.InFile(path, 1, "sft", "missing: give the SFT settings (data, options) or `model: PATH` for an existing SFT model");
        if (sft.Contains("data") && pretrain is null)
            throw yaml.Error(KeyOf("sft"), "pretrain", "missing: SFT needs a base model: a `pretrain` section (preset, data) or `model: PATH`");

        var data = Section("data") is { } dataNode ? reader.DataLevels(dataNode) : [];
        var algorithms = Section("algorithm") is { } algorithmNode ? reader.Algorithms(algorithmNode)
            : throw UserError.InFile(path, 1, "algorithm", "missing: name at least one algorithm (dpo, kto, ppo, rloo, grpo, online-dpo, best-of-n, sft)");
        var prompts = Section("prompts") is { } promptsNode ? reader.PromptLevels(promptsNode) : [];
        var rewardModels = Section("reward_model") is { } rmNode ? reader.RewardModels(rmNode, data, pretrain) : [];
        var (fixedAll, fixedByType, fixedRm) = Section("fixed") is { } fixedNode
            ? reader.Fixed(fixedNode)
            : (Settings.Empty, new Dictionary<AlgorithmType, Settings>(), Settings.Empty);
        var evaluation = Section("evaluation") is { } evalNode ? reader.Evaluation(evalNode, "evaluation")
            : world is not null ? Settings.Empty.With("suite", "world")
            : throw UserError.InFile(path, 1, "evaluation", "missing: give `suite: FILE` (or a `world` section to use the World's suite)");
        var rmEvaluation = Section("rm_evaluation") is { } rmEvalNode ? reader.Evaluation(rmEvalNode, "rm_evaluation")
            : world is not null ? Settings.Empty.With("suite", "world") : null;
        var seeds = Section("seeds") is { } seedsNode ? reader.Seeds(seedsNode) : [1L];

        // Each algorithm must find the factors it uses.
        foreach (var algorithm in algorithms)
        {
            string field = "algorithm." + algorithm.Name;
            if (algorithm.Type.UsesPreferenceData() && data.Count == 0)
                throw UserError.InFile(path, algorithm.Line, field, $"{algorithm.Type.Name()} learns from preference data: add a `data` factor");
            if (algorithm.Type.UsesRewardModel() && rewardModels.Count == 0)
                throw UserError.InFile(path, algorithm.Line, field, $"{algorithm.Type.Name()} needs a `reward_model` factor (a trained model, or `gold: true` on a World)");
            if (algorithm.Type.UsesRewardModel() && data.Count == 0 && rewardModels.FirstOrDefault(r => !r.Gold && r.Ensemble is null && r.DataName is null && r.InlineData is null) is { } same)
                throw UserError.InFile(path, same.Line, "reward_model." + same.Name, "is trained on each run's dataset but there is no `data` factor: add one, or give it `data:`");
            if (algorithm.Type.UsesPrompts() && prompts.Count == 0)
                throw UserError.InFile(path, algorithm.Line, field, $"{algorithm.Type.Name()} samples prompts while training: add a `prompts` factor");
        }
        if (rewardModels.Any(r => r.Gold) && world is null)
            throw UserError.InFile(path, rewardModels.First(r => r.Gold).Line, "reward_model", "`gold: true` scores with the World's gold scorer: add a `world` section");

        var levels = new Dictionary<string, IReadOnlyList<string>>
        {
            [Factors.Data] = data.Select(l => l.Name).ToList(),
            [Factors.Algorithm] = algorithms.Select(l => l.Name).ToList(),
            [Factors.RewardModel] = rewardModels.Select(l => l.Name).ToList(),
            [Factors.Prompts] = prompts.Select(l => l.Name).ToList(),
        };
        var exclude = Section("exclude") is { } excludeNode ? reader.Rules(excludeNode, "exclude", levels, seeds) : [];
        var include = Section("include") is { } includeNode ? reader.Rules(includeNode, "include", levels, seeds) : [];

        return new GridSpec
        {
            Path = path,
            Name = name,
            Text = text,
            World = world,
            Pretrain = pretrain,
            Sft = sft,
            Data = data,
            Algorithms = algorithms,
            RewardModels = rewardModels,
            Prompts = prompts,
            Fixed = fixedAll,
            FixedByType = fixedByType,
            FixedRewardModel = fixedRm,
            Evaluation = evaluation,
            RmEvaluation = rmEvaluation,
            Seeds = seeds,
            Exclude = exclude,
            Include = include,
        };
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._+-]*$")]
    private static partial Regex LevelNamePattern();
}
