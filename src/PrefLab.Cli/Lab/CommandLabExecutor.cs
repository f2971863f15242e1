using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Reporting;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Plan;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.World;

namespace PrefLab.Cli.Lab;

/// <summary>
/// The lab's real executor. Training nodes run the same <c>preflab</c> commands a user would type (their settings are
/// the commands' option names, so a grid accepts every option the command does, validated the same way), in-process,
/// with the command's output in the node's <c>log.txt</c>. Evaluation nodes call the evaluation harness directly and
/// return its per-item scores; best-of-N is the harness with a generator that samples N and keeps the reward model's
/// pick, so it is scored on the same items as every other run.
/// </summary>
public sealed class CommandLabExecutor : ILabExecutor
{
    /// <summary>Bump when a node kind's work changes what it computes, so the lab does not reuse stale results.</summary>
    /// 2: World folders hold pretrain-heldout.jsonl (World version 2). 3: best-of-N nodes sample and pick as `bon` does.
    /// 4: World version 3 (the demonstrator's habits change sft.jsonl).
    const string ExecutorVersion = "4";

    public const string LogFile = "log.txt";
    /// <summary>Written by a best-of-N node whose judge is a reward-model ensemble.</summary>
    public const string JudgeFile = "judge.json";
    const string InitialModelFolder = "initial-model";

    public string Fingerprint(NodeKind kind) => $"preflab {CliApp.Version} executor {ExecutorVersion}";

    public void GenerateWorld(NodeWork work)
    {
        RejectUnknown(work, "seed", "scale");
        string scaleName = work.Settings.GetString("scale") ?? "default";
        if (scaleName is not ("small" or "default"))
            throw new UserError($"{work.Node}: world.scale must be small or default, not '{scaleName}'");
        work.Status("world generate");
        // The generator replaces the folder as a whole (a temporary folder renamed into place), so the lab's own
        // files in it are kept aside and put back.
        var kept = Directory.EnumerateFiles(work.OutputFolder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        WorldGenerator.Generate(work.OutputFolder, work.Seed, WorldSize.Parse(scaleName));
        foreach (var (name, bytes) in kept)
            if (!File.Exists(Path.Combine(work.OutputFolder, name))) AtomicFile.WriteAllBytes(Path.Combine(work.OutputFolder, name), bytes);
    }

    public void Pretrain(NodeWork work)
    {
        // A base model from a preset: random weights with the World's (or the given) tokenizer, then pretraining.
        string preset = work.Settings.GetString("preset")
            ?? throw new UserError($"{work.Node}: pretrain needs a preset (a model shape, e.g. world-small) or pretrain.model (an existing base model)");
        string tokenizer = work.Settings.GetString("tokenizer") ?? Path.Combine(work.WorldFolder
            ?? throw new UserError($"{work.Node}: pretrain from a preset needs a World (its tokenizer) or pretrain.tokenizer"), "tokenizer");
        string initial = Path.Combine(work.OutputFolder, InitialModelFolder);
        bool resume = PrepareTrainingFolder(work, keep: InitialModelFolder);
        if (!Directory.Exists(initial))
            Run(work, ["init-model", "--preset", preset, "--tokenizer", tokenizer, "--output", initial,
                "--seed", work.Seed.ToString(CultureInfo.InvariantCulture)]);
        Run(work, ["pretrain", "--model", initial, "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("preset", "tokenizer", "data"), .. ResumeFlag(resume)]);
        Directory.Delete(initial, recursive: true);
    }

    public void Sft(NodeWork work)
    {
        bool resume = PrepareTrainingFolder(work);
        Run(work, ["sft", "--model", work.Input(InputRoles.Base), "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("data"), .. ResumeFlag(resume)]);
    }

    public void TrainRewardModel(NodeWork work)
    {
        bool resume = PrepareTrainingFolder(work);
        // "preset" chose the model the reward model starts from (the planner made that model its input).
        Run(work, ["rm", "train", "--model", work.Input(InputRoles.Model), "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("data", "preset"), .. ResumeFlag(resume)]);
        // PPO's EOS penalty and KL coefficient are set for a reward of mean 0 and std 1: store the normalisation
        // (r - mean) / std fitted on the responses of the RM's own training pairs, which every policy run reads
        // (`rm normalize --responses DATA`; a user can refit on policy samples with `rm normalize --policy`).
        work.Status("rm normalize");
        var fitted = RewardNormalizationFit.FromResponses(work.OutputFolder, work.File("data"));
        File.AppendAllText(Path.Combine(work.OutputFolder, LogFile), string.Create(CultureInfo.InvariantCulture,
            $"$ preflab rm normalize --model {work.OutputFolder} --responses {work.File("data")}\nnormalisation: mean {fitted.Mean:G6}, std {fitted.Std:G6} over {fitted.Samples} responses\n"));
    }

    public IReadOnlyList<PairVerdict> EvaluateRewardModel(NodeWork work)
    {
        var settings = work.Settings;
        string? suite = settings.GetString("suite");
        string? data = settings.Contains("data") ? work.File("data") : null;
        if (suite is not null && suite != "world")
            throw new UserError($"{work.Node}: rm_evaluation.suite must be 'world' (the World's gold-labelled held-out pairs), not '{suite}'; give rm_evaluation.data for a file of pairs");
        if (suite is null && data is null) suite = "world";
        RejectUnknown(work, ["suite", "data", "seed", "world-pairs", "batch-size", .. LabEnsemble.SettingKeys]);
        var ensemble = LabEnsemble.Rule(work);
        var report = RewardModelEvaluator.Evaluate(new RewardEvalOptions
        {
            Models = work.RewardModels,
            Ensemble = ensemble,
            Data = data is null ? [] : [data],
            World = suite == "world" ? work.WorldFolder ?? throw new UserError($"{work.Node}: the world suite needs a World") : null,
            WorldPairsPerPrompt = (int)(settings.GetLong("world-pairs") ?? WorldHeldOutPairs.DefaultPairsPerPrompt),
            WorldSeed = work.Seed,
            Scoring = settings.GetLong("batch-size") is long batch ? new RewardModelOptions { BatchSize = (int)batch } : new RewardModelOptions(),
        });
        AtomicFile.WriteAllText(Path.Combine(work.OutputFolder, "rm_eval.json"),
            report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        // An ensemble's node reports the ensemble (its result comes after the members'); each member has its own node.
        var verdicts = new List<PairVerdict>();
        foreach (var set in report.Models[ensemble is null ? 0 : ^1].Sets)
        {
            bool gold = set.Kind == "world"; // the World's held-out pairs are labelled by the gold judge
            var correct = set.Scores.Correct();
            for (int k = 0; k < correct.Length; k++)
            {
                string id = $"{set.Name}#{set.Scores.Index[k].ToString(CultureInfo.InvariantCulture)}";
                // The subset names the pair's category where it has one, so the report (and the instrument) can
                // give agreement per category.
                string subset = set.Scores.Category(k) is { } category ? PairVerdict.SubsetOf(set.Name, category) : set.Name;
                verdicts.Add(new PairVerdict(subset, id, correct[k], gold ? correct[k] : null));
            }
        }
        return verdicts;
    }

    public void TrainPolicy(NodeWork work)
    {
        string algorithm = work.Settings.GetString("algorithm") ?? throw new InvalidOperationException($"{work.Node}: no algorithm");
        bool resume = PrepareTrainingFolder(work);
        string model = work.Input(InputRoles.Model);
        if (algorithm is "dpo" or "kto")
        {
            Run(work, [algorithm, "--model", model, "--data", work.File("data"), "--output", work.OutputFolder,
                .. work.OptionTokens("algorithm", "data"), .. ResumeFlag(resume)]);
            return;
        }
        if (algorithm is not ("ppo" or "rloo" or "grpo" or "online-dpo")) throw new UserError($"{work.Node}: the lab cannot train algorithm '{algorithm}'");
        var reward = new List<string>();
        if (work.Settings.GetString("reward") == "gold") reward.AddRange(["--reward", "gold"]);
        else reward.AddRange(LabEnsemble.RewardTokens(work));
        // With a World the trainers also log the gold score of their samples (with a reward model) or use it as the reward.
        if (work.WorldFolder is { } world) reward.AddRange(["--world", world]);
        Run(work, [algorithm, "--policy", model, "--prompts", work.File("prompts"), "--output", work.OutputFolder,
            .. reward, .. work.OptionTokens(["algorithm", "prompts", "reward", .. LabEnsemble.SettingKeys]), .. ResumeFlag(resume)]);
    }

    public IReadOnlyList<ItemScore> BestOfN(NodeWork work)
    {
        int n = (int)(work.Settings.GetLong("n") ?? throw new UserError($"{work.Node}: best-of-n needs n"));
        double temperature = work.Settings.GetDouble("temperature") ?? 0.7;
        bool gold = work.Settings.GetString("reward") == "gold";
        RejectUnknown(work, ["algorithm", "n", "temperature", "suite", "limit", "max-new-tokens", "batch-size", "seed", "reward", .. LabEnsemble.SettingKeys]);
        var ensemble = LabEnsemble.Rule(work);
        var rewardModels = new List<RewardModel>();
        try
        {
            if (!gold) foreach (string folder in work.RewardModels) rewardModels.Add(RewardModel.Load(folder));
            return BestOfN(work, n, temperature, ensemble, rewardModels);
        }
        finally
        {
            foreach (var model in rewardModels) model.Dispose();
        }
    }

    static IReadOnlyList<ItemScore> BestOfN(NodeWork work, int n, double temperature, RewardEnsemble? ensemble, IReadOnlyList<RewardModel> rewardModels)
    {
        // With the gold judge the pick is the best a perfect reward model could make: the ceiling of reranking.
        ISampleJudge judge = ensemble is not null ? new RewardEnsembleJudge(rewardModels, ensemble)
            : rewardModels.Count > 0 ? new RewardModelJudge(rewardModels[0])
            : new GoldJudgeOfSamples(WorldInstance.Load(work.WorldFolder
                ?? throw new UserError($"{work.Node}: best-of-n with the gold judge needs a world")).Judge);
        if (ensemble is not null) WriteEnsembleJudge(work, rewardModels, ensemble);
        var options = EvaluationOptionsFor(work, cache: false) with
        {
            GeneratorFactory = (policy, tokenizer) => new BestOfNResponseGenerator(policy, tokenizer, judge, n, temperature, work.Seed),
        };
        return EvaluateAndWrite(work, options);
    }

    /// <summary>A best-of-N node has no run.json: judge.json states which ensemble picked, as bon's summary.json does.</summary>
    static void WriteEnsembleJudge(NodeWork work, IReadOnlyList<RewardModel> members, RewardEnsemble rule)
    {
        var json = new JsonObject { ["kind"] = "reward_model_ensemble", ["ensemble"] = rule.Describe() };
        json["members"] = new JsonArray(members.Select((m, i) => (JsonNode)new JsonObject
        {
            ["index"] = i,
            ["folder"] = m.Folder,
            ["normalization"] = m.Normalization is { } n ? new JsonObject { ["applied"] = true, ["mean"] = n.Mean, ["std"] = n.Std }
                : new JsonObject { ["applied"] = false, ["why"] = $"no {RewardNormalization.FileName} in the folder: raw head outputs" },
        }).ToArray());
        AtomicFile.WriteAllText(Path.Combine(work.OutputFolder, JudgeFile), json.ToJsonString(JsonOptions.Indented) + "\n");
    }

    public IReadOnlyList<ItemScore> Evaluate(NodeWork work)
    {
        RejectUnknown(work, "suite", "limit", "max-new-tokens", "batch-size", "seed");
        return EvaluateAndWrite(work, EvaluationOptionsFor(work, cache: true));
    }

    static EvaluationOptions EvaluationOptionsFor(NodeWork work, bool cache)
    {
        var s = work.Settings;
        string suite = s.GetString("suite") ?? "world";
        var options = new EvaluationOptions
        {
            Models = [work.Input(InputRoles.Model)],
            Labels = [work.Node.Label],
            Suites = [suite == "world" ? "world" : work.File("suite")],
            World = work.WorldFolder,
            Limit = s.GetLong("limit") is long limit ? (int)limit : null,
            MaxNewTokens = s.GetLong("max-new-tokens") is long tokens ? (int)tokens : null,
            Seed = work.Seed,
            CacheDirectory = cache ? Path.Combine(work.OutputFolder, "cache") : null,
            ShowProgress = false,
        };
        return s.GetLong("batch-size") is long batch ? options with { BatchSize = (int)batch } : options;
    }

    static IReadOnlyList<ItemScore> EvaluateAndWrite(NodeWork work, EvaluationOptions options)
    {
        work.Status("evaluating");
        var result = Evaluator.Run(options);
        ResultsFiles.Write(result, work.OutputFolder);
        return result.Models[0].Scores().Select(i => new ItemScore(i.Category, i.ItemId, i.Score)).ToList();
    }

    /// <summary>Settings an evaluation node does not understand are an error, not silently ignored.</summary>
    static void RejectUnknown(NodeWork work, params string[] known)
    {
        var unknown = work.Settings.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UserError($"{work.Node}: unknown {work.Kind.Name()} option(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known)}");
    }

    /// <summary>Decides between resuming and starting afresh: resume only when an interrupted attempt left a checkpoint;
    /// otherwise empty the folder (but keep the lab's files, the log and <paramref name="keep"/>) so no half-written run is mistaken for a result.</summary>
    static bool PrepareTrainingFolder(NodeWork work, string? keep = null)
    {
        string checkpoints = Path.Combine(work.OutputFolder, "checkpoints");
        if (work.Resume && Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints).Any()) return true;
        foreach (string entry in Directory.EnumerateFileSystemEntries(work.OutputFolder))
        {
            string name = Path.GetFileName(entry);
            if (name == keep || name == LogFile || name.StartsWith("lab-", StringComparison.Ordinal)) continue; // the lab's own files
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        return false;
    }

    static string[] ResumeFlag(bool resume) => resume ? ["--resume"] : [];

    static void Run(NodeWork work, IReadOnlyList<string> args)
    {
        work.Cancellation.ThrowIfCancellationRequested();
        work.Status(args[0] == "rm" ? "rm train" : args[0]);
        InProcessCommand.Run(args, Path.Combine(work.OutputFolder, LogFile));
    }
}
