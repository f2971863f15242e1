using System.Text.Json.Nodes;
using PrefLab.Data.Binarization;
using PrefLab.Runtime;
using YamlDotNet.RepresentationModel;

namespace PrefLab.Lab.Grid;

public static partial class GridFile
{
    /// <summary>Reads the sections; holds the grid's folder for relative paths.</summary>
    sealed partial class Reader(GridYaml yaml, string folder, bool hasWorld)
    {
        public string LevelName(YamlNode node, string field)
        {
            string name = yaml.Text(node, field);
            if (!LevelNamePattern().IsMatch(name))
                throw yaml.Error(node, field, $"'{name}' is not a usable name (letters, digits, '.', '_', '+', '-')");
            return name;
        }

        string LevelKey(YamlNode keyNode, string key, string field)
        {
            if (!LevelNamePattern().IsMatch(key))
                throw yaml.Error(keyNode, field, $"'{key}' is not a usable name (letters, digits, '.', '_', '+', '-')");
            return key;
        }

        /// <summary>A file or folder: <c>world:NAME</c> as written, anything else an absolute path that exists.</summary>
        public string FileValue(YamlNode node, string field)
        {
            string value = yaml.Text(node, field);
            if (value.StartsWith(WorldPrefix, StringComparison.Ordinal))
            {
                if (!hasWorld) throw yaml.Error(node, field, $"'{value}' refers to a World but the grid has no `world` section");
                if (value.Length == WorldPrefix.Length) throw yaml.Error(node, field, "'world:' needs a name, e.g. world:ultrafeedback");
                return value;
            }
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, value));
            if (!File.Exists(full) && !Directory.Exists(full)) throw yaml.Error(node, field, $"file not found: {value} (looked for {full})");
            return full;
        }

        /// <summary>Remaining keys of a section as trainer options; <paramref name="structural"/> keys were read already.</summary>
        Settings Options(YamlMappingNode mapping, string field, IReadOnlySet<string> structural, IReadOnlySet<string>? allowedOwned = null)
        {
            var pairs = new List<KeyValuePair<string, JsonNode>>();
            foreach (var (key, keyNode, value) in yaml.Entries(mapping, field))
            {
                if (structural.Contains(key)) continue;
                string option = yaml.OptionKey(keyNode, key, GridYaml.Join(field, key));
                if (LabOwnedOptions.Contains(option) && allowedOwned?.Contains(option) != true)
                    throw yaml.Error(keyNode, GridYaml.Join(field, key), $"'{option}' is set by the lab (from the grid's factors, seeds and folders), not as an option");
                if (value is YamlMappingNode) throw yaml.Error(value, GridYaml.Join(field, key), "expected a value, not a mapping");
                pairs.Add(new(option, yaml.Scalar(value, GridYaml.Join(field, key))));
            }
            var settings = Settings.From(pairs);
            if (settings.Count != pairs.Count)
                throw yaml.Error(mapping, field, "an option appears twice (underscores and hyphens name the same option)");
            return settings;
        }

        YamlNode? Child(YamlMappingNode mapping, string key) =>
            mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        public Settings World(YamlNode node)
        {
            if (node is YamlScalarNode) return Settings.Empty.With("folder", ExistingFolder(node, "world"));
            var mapping = yaml.Mapping(node, "world", "a folder path, or the generator's settings (seed, scale)");
            if (Child(mapping, "folder") is { } folderNode)
            {
                if (mapping.Children.Count > 1) throw yaml.Error(mapping, "world", "`folder` names an existing World: give no generator settings with it");
                return Settings.Empty.With("folder", ExistingFolder(folderNode, "world.folder"));
            }
            var settings = Options(mapping, "world", new HashSet<string> { "seed" });
            long seed = Child(mapping, "seed") is { } seedNode ? yaml.WholeNumber(seedNode, "world.seed", 0) : 1;
            return settings.With("seed", seed);
        }

        string ExistingFolder(YamlNode node, string field)
        {
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, yaml.Text(node, field)));
            if (!Directory.Exists(full)) throw yaml.Error(node, field, $"folder not found: {full}");
            return full;
        }

        /// <summary><c>model: PATH</c> alone, or null when the section trains.</summary>
        Settings? ExternalModel(YamlMappingNode mapping, string field)
        {
            if (Child(mapping, "model") is not { } modelNode) return null;
            if (mapping.Children.Count > 1)
                throw yaml.Error(mapping, field, "`model` names an existing model folder: give no training settings with it");
            return Settings.Empty.With("model", ExistingFolder(modelNode, field + ".model"));
        }

        public Settings Pretrain(YamlNode node)
        {
            var mapping = yaml.Mapping(node, "pretrain", "a mapping: preset, data and options, or model: PATH");
            if (ExternalModel(mapping, "pretrain") is { } external) return external;
            var preset = Child(mapping, "preset") ?? throw yaml.Error(mapping, "pretrain.preset", "missing: name the model preset to pretrain");
            var dataNode = Child(mapping, "data") ?? throw yaml.Error(mapping, "pretrain.data", "missing: the pretraining corpus (a file, or world:pretrain)");
            var settings = Options(mapping, "pretrain", new HashSet<string> { "preset", "data", "seed" });
            return settings.With("preset", yaml.Text(preset, "pretrain.preset"))
                .With("data", FileValue(dataNode, "pretrain.data"))
                .With("seed", SeedOf(mapping, "pretrain"));
        }

        public Settings Sft(YamlNode node)
        {
            var mapping = yaml.Mapping(node, "sft", "a mapping: data and options, or model: PATH");
            if (ExternalModel(mapping, "sft") is { } external) return external;
            var dataNode = Child(mapping, "data") ?? throw yaml.Error(mapping, "sft.data", "missing: the demonstrations (a file, or world:sft)");
            var settings = Options(mapping, "sft", new HashSet<string> { "data", "seed" });
            return settings.With("data", FileValue(dataNode, "sft.data")).With("seed", SeedOf(mapping, "sft"));
        }

        long SeedOf(YamlMappingNode mapping, string field) =>
            Child(mapping, "seed") is { } seedNode ? yaml.WholeNumber(seedNode, field + ".seed", 0) : 1;

        /// <summary>A dataset: <c>FILE</c>, or <c>{file, binarize, other reader options}</c>; its settings are
        /// <c>file</c> plus the options.</summary>
        Settings Dataset(YamlNode node, string field)
        {
            if (node is YamlScalarNode) return Settings.Empty.With("file", FileValue(node, field));
            var mapping = yaml.Mapping(node, field, "a file, or a mapping with `file` and options such as `binarize`");
            var fileNode = Child(mapping, "file") ?? throw yaml.Error(mapping, field + ".file", "missing: the preference data file (or world:NAME)");
            var settings = Options(mapping, field, new HashSet<string> { "file" });
            if (settings.GetString("binarize") is { } strategy && BinarizeOptions.FindStrategy(strategy) is null)
                throw yaml.Error(Child(mapping, "binarize")!, field + ".binarize", $"'{strategy}' is not one of {string.Join(", ", BinarizeOptions.StrategyNames)}");
            if (settings.Contains("binarize") && settings.GetString("binarize") is null)
                throw yaml.Error(Child(mapping, "binarize")!, field + ".binarize", $"expected one of {string.Join(", ", BinarizeOptions.StrategyNames)}");
            return settings.With("file", FileValue(fileNode, field + ".file"));
        }

        public List<DataLevel> DataLevels(YamlNode node)
        {
            var mapping = yaml.Mapping(node, "data", "a mapping of dataset names to files or {file, binarize}");
            var levels = new List<DataLevel>();
            foreach (var (key, keyNode, value) in yaml.Entries(mapping, "data"))
            {
                string name = LevelKey(keyNode, key, "data." + key);
                levels.Add(new DataLevel(name, levels.Count, (int)keyNode.Start.Line, Dataset(value, "data." + name)));
            }
            if (levels.Count == 0) throw yaml.Error(node, "data", "names no dataset");
            return levels;
        }

        public List<PromptLevel> PromptLevels(YamlNode node)
        {
            var mapping = yaml.Mapping(node, "prompts", "a mapping of prompt-set names to files or {file, options}");
            var levels = new List<PromptLevel>();
            foreach (var (key, keyNode, value) in yaml.Entries(mapping, "prompts"))
            {
                string name = LevelKey(keyNode, key, "prompts." + key);
                string field = "prompts." + name;
                Settings settings;
                if (value is YamlScalarNode) settings = Settings.Empty.With("file", FileValue(value, field));
                else
                {
                    var level = yaml.Mapping(value, field, "a file, or a mapping with `file` and options");
                    var fileNode = Child(level, "file") ?? throw yaml.Error(level, field + ".file", "missing: the prompt file (or world:NAME)");
                    settings = Options(level, field, new HashSet<string> { "file" }).With("file", FileValue(fileNode, field + ".file"));
                }
                levels.Add(new PromptLevel(name, levels.Count, (int)keyNode.Start.Line, settings));
            }
            if (levels.Count == 0) throw yaml.Error(node, "prompts", "names no prompt set");
            return levels;
        }

        public List<AlgorithmLevel> Algorithms(YamlNode node)
        {
            var levels = new List<AlgorithmLevel>();
            if (node is YamlSequenceNode sequence)
            {
                // Shorthand: a list of algorithm types, each named after its type.
                foreach (var item in sequence.Children)
                {
                    string name = LevelName(item, "algorithm");
                    if (!AlgorithmTypes.TryParse(name, out var type)) throw UnknownType(item, "algorithm", name);
                    if (levels.Any(l => l.Name == name)) throw yaml.Error(item, "algorithm." + name, "appears twice");
                    levels.Add(new AlgorithmLevel(name, levels.Count, (int)item.Start.Line, type, Settings.Empty));
                }
            }
            else
            {
                var mapping = yaml.Mapping(node, "algorithm", "a mapping of algorithm names to {type, options}, or a list of types");
                foreach (var (key, keyNode, value) in yaml.Entries(mapping, "algorithm"))
                {
                    string name = LevelKey(keyNode, key, "algorithm." + key);
                    string field = "algorithm." + name;
                    var level = value is YamlScalarNode { Value: null or "" } ? new YamlMappingNode()
                        : yaml.Mapping(value, field, "a mapping: type and options");
                    AlgorithmType type;
                    if (Child(level, "type") is { } typeNode)
                    {
                        string typeName = yaml.Text(typeNode, field + ".type");
                        if (!AlgorithmTypes.TryParse(typeName, out type)) throw UnknownType(typeNode, field + ".type", typeName);
                    }
                    else if (!AlgorithmTypes.TryParse(name, out type))
                        throw yaml.Error(keyNode, field + ".type", $"missing: '{name}' is not an algorithm type, so give `type:` ({TypeList})");
                    var options = Options(level, field, new HashSet<string> { "type" });
                    if (type == AlgorithmType.BestOfN)
                    {
                        var nNode = Child(level, "n") ?? throw yaml.Error(keyNode, field + ".n", "missing: best-of-n needs n, the number of samples per prompt");
                        yaml.WholeNumber(nNode, field + ".n", 1);
                    }
                    if (type == AlgorithmType.Sft && options.Count > 0)
                        throw yaml.Error(keyNode, field, "the sft reference row trains nothing and takes no options");
                    levels.Add(new AlgorithmLevel(name, levels.Count, (int)keyNode.Start.Line, type, options));
                }
            }
            if (levels.Count == 0) throw yaml.Error(node, "algorithm", "names no algorithm");
            return levels;
        }

        static string TypeList => string.Join(", ", AlgorithmTypes.All.Select(t => t.Name()));

        UserError UnknownType(YamlNode node, string field, string name) =>
            yaml.Error(node, field, $"'{name}' is not an algorithm type ({TypeList})");

        public List<RewardModelLevel> RewardModels(YamlNode node, IReadOnlyList<DataLevel> data, Settings? pretrain)
        {
            var mapping = yaml.Mapping(node, "reward_model", "a mapping of reward-model names to {data, preset, options}, {gold: true} or {ensemble: [names], combine}");
            var levels = new List<RewardModelLevel>();
            foreach (var (key, keyNode, value) in yaml.Entries(mapping, "reward_model"))
            {
                string name = LevelKey(keyNode, key, "reward_model." + key);
                string field = "reward_model." + name;
                var level = value is YamlScalarNode { Value: null or "" } ? new YamlMappingNode()
                    : yaml.Mapping(value, field, "a mapping: data, preset and options, gold: true, or ensemble: [names]");
                int line = (int)keyNode.Start.Line;
                if (Child(level, "ensemble") is { } membersNode)
                {
                    levels.Add(EnsembleLevel(level, membersNode, name, levels.Count, line));
                    continue;
                }
                if (Child(level, "gold") is { } goldNode && yaml.Bool(goldNode, field + ".gold"))
                {
                    if (level.Children.Count > 1) throw yaml.Error(level, field, "`gold: true` uses the World's gold scorer: give nothing else");
                    levels.Add(new RewardModelLevel(name, levels.Count, line, true, null, null, null, null, Settings.Empty));
                    continue;
                }
                string? dataName = null;
                Settings? inline = null;
                if (Child(level, "data") is { } dataNode)
                {
                    if (dataNode is YamlScalarNode scalar && data.Any(d => d.Name == scalar.Value)) dataName = scalar.Value;
                    else if (dataNode is YamlScalarNode { Value: "same" }) dataName = null;
                    else if (dataNode is YamlScalarNode other && !(other.Value ?? "").StartsWith(WorldPrefix, StringComparison.Ordinal) &&
                             !File.Exists(System.IO.Path.Combine(folder, other.Value ?? "")))
                        throw yaml.Error(dataNode, field + ".data", $"'{other.Value}' is neither a dataset of the `data` factor ({string.Join(", ", data.Select(d => d.Name))}) nor a file");
                    else inline = Dataset(dataNode, field + ".data");
                }
                string? preset = Child(level, "preset") is { } presetNode ? yaml.Text(presetNode, field + ".preset") : null;
                string? model = Child(level, "model") is { } modelNode ? ExistingFolder(modelNode, field + ".model") : null;
                if (preset is not null && model is not null)
                    throw yaml.Error(level, field, "give `preset` (trained from that preset's SFT model) or `model` (an existing folder), not both");
                if (preset is not null && pretrain is not null && pretrain.Contains("model") && pretrain.GetString("preset") is null)
                    throw yaml.Error(Child(level, "preset")!, field + ".preset",
                        "an RM of its own preset needs pretraining, but `pretrain` names an existing model: give the RM `model: PATH` instead");
                if (preset is not null && pretrain is null)
                    throw yaml.Error(Child(level, "preset")!, field + ".preset", "an RM of its own preset needs a `pretrain` section to pretrain that preset");
                var options = Options(level, field, new HashSet<string> { "data", "preset", "model", "seed" });
                options = options.With("seed", SeedOf(level, field));
                levels.Add(new RewardModelLevel(name, levels.Count, line, false, dataName, inline, preset, model, options));
            }
            if (levels.Count == 0) throw yaml.Error(node, "reward_model", "names no reward model");
            CheckEnsembleMembers(mapping, levels);
            return levels;
        }

        public (Settings All, Dictionary<AlgorithmType, Settings> ByType, Settings RewardModel) Fixed(YamlNode node)
        {
            var mapping = yaml.Mapping(node, "fixed", "a mapping of options, with optional sections per algorithm type (dpo:, kto:, ppo:, ...) and reward_model:");
            var scalars = new YamlMappingNode();
            var byType = new Dictionary<AlgorithmType, Settings>();
            var rewardModel = Settings.Empty;
            foreach (var (key, keyNode, value) in yaml.Entries(mapping, "fixed"))
            {
                if (value is not YamlMappingNode section)
                {
                    scalars.Add(keyNode, value);
                    continue;
                }
                if (key == "reward_model") rewardModel = Options(section, "fixed.reward_model", new HashSet<string>());
                else if (AlgorithmTypes.TryParse(key, out var type) && type != AlgorithmType.Sft)
                    byType[type] = Options(section, "fixed." + key, new HashSet<string>());
                else
                    throw yaml.Error(keyNode, "fixed." + key, "unknown section: sections are algorithm types (dpo, kto, ppo, rloo, grpo, online-dpo, best-of-n) and reward_model");
            }
            return (Options(scalars, "fixed", new HashSet<string>()), byType, rewardModel);
        }

        public Settings Evaluation(YamlNode node, string field)
        {
            var mapping = yaml.Mapping(node, field, "a mapping: suite (world or a file) or data, and options");
            var settings = Options(mapping, field, new HashSet<string> { "suite", "data" });
            if (Child(mapping, "data") is { } dataNode) settings = settings.With("data", FileValue(dataNode, field + ".data"));
            if (Child(mapping, "suite") is { } suiteNode)
            {
                string suite = yaml.Text(suiteNode, field + ".suite");
                if (suite == "world" && !hasWorld) throw yaml.Error(suiteNode, field + ".suite", "`world` needs a `world` section");
                settings = settings.With("suite", suite == "world" ? "world" : FileValue(suiteNode, field + ".suite"));
            }
            if (!settings.Contains("suite") && !settings.Contains("data"))
                throw yaml.Error(mapping, field + ".suite", "missing: `suite: world` or `suite: FILE`" + (field == "rm_evaluation" ? " (or `data: FILE` of held-out pairs)" : ""));
            return settings;
        }

        public List<long> Seeds(YamlNode node)
        {
            var items = node is YamlSequenceNode sequence ? sequence.Children.ToList() : [node];
            var seeds = new List<long>();
            foreach (var item in items)
            {
                long seed = yaml.WholeNumber(item, "seeds", 0);
                if (seeds.Contains(seed)) throw yaml.Error(item, "seeds", $"seed {seed} appears twice");
                seeds.Add(seed);
            }
            if (seeds.Count == 0) throw yaml.Error(node, "seeds", "names no seed");
            return seeds;
        }

        public List<GridRule> Rules(YamlNode node, string field, IReadOnlyDictionary<string, IReadOnlyList<string>> levels, IReadOnlyList<long> seeds)
        {
            if (node is not YamlSequenceNode sequence) throw yaml.Error(node, field, "expected a list of rules like {algorithm: ppo, data: hh}");
            var rules = new List<GridRule>();
            foreach (var item in sequence.Children)
            {
                var mapping = yaml.Mapping(item, field, "a rule: a mapping of factors to a level or a list of levels");
                var rule = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
                foreach (var (key, keyNode, value) in yaml.Entries(mapping, field))
                {
                    string ruleField = field + "." + key;
                    IReadOnlyList<string> known = key == "seed" ? seeds.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList()
                        : levels.TryGetValue(key, out var l) ? l
                        : throw yaml.Error(keyNode, ruleField, "not a factor: rules name data, algorithm, reward_model, prompts or seed");
                    var values = (value is YamlSequenceNode list ? list.Children : [value])
                        .Select(v => (Node: v, Name: Settings.ValueText(yaml.Scalar(v, ruleField)))).ToList();
                    foreach (var (valueNode, levelName) in values)
                        if (!known.Contains(levelName))
                            throw yaml.Error(valueNode, ruleField, $"'{levelName}' is not a level of {key} ({string.Join(", ", known)})");
                    rule[key] = values.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
                }
                if (rule.Count == 0) throw yaml.Error(item, field, "an empty rule matches every run");
                rules.Add(new GridRule((int)item.Start.Line, rule));
            }
            return rules;
        }
    }
}
