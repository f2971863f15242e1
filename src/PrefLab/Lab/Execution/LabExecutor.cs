using System.Globalization;
using PrefLab.Algorithms;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Lab.Plan;
using PrefLab.Models.Presets;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;
using PrefLab.Runtime.Options;
using PrefLab.Training.Commands;
using PrefLab.World;

namespace PrefLab.Lab.Execution;

/// <summary>
/// The lab's executor, in the library: no CLI is needed to run a grid. Training nodes run the library's training
/// commands (<see cref="TrainingCommands"/>): a node's settings are the command's option names, read through the same
/// specs the CLI parses, so a grid accepts every option the command does, with its defaults and checks. Each node's
/// <c>log.txt</c> starts with the <c>preflab</c> command line that reproduces it, then the job's own output.
/// Evaluation, RM-evaluation and best-of-N nodes are <see cref="EvaluationNode"/>, <see cref="RewardModelEvaluationNode"/>
/// and <see cref="BestOfNNode"/>.
/// </summary>
public sealed class LabExecutor : ILabExecutor
{
    /// <summary>Bump when a node kind's work changes what it computes, so the lab does not reuse stale results.</summary>
    /// 2: World folders hold pretrain-heldout.jsonl (World version 2). 3: best-of-N nodes sample and pick as `bon` does.
    /// 4: World version 3 (the demonstrator's habits change sft.jsonl).
    const string ExecutorVersion = "4";
    /// <summary>Best-of-N nodes moved on alone once, so they keep their own version, one ahead of the others.</summary>
    /// 4: a reward model (or ensemble) judges each sample as `bon` does, on the rendered conversation (the response's
    /// text with the chat format's end of turn), not on the policy's raw token ids (a truncated sample had no EOS there).
    /// 5: World version 3.
    const string BestOfNExecutorVersion = "5";

    public const string LogFile = "log.txt";
    const string InitialModelFolder = "initial-model";

    // "preflab" and the version keep node ids as they were when the CLI ran training nodes.
    public string Fingerprint(NodeKind kind) =>
        $"preflab {LibraryInfo.Version} executor {(kind == NodeKind.BestOfN ? BestOfNExecutorVersion : ExecutorVersion)}";

    public void GenerateWorld(NodeWork work)
    {
        work.RejectUnknownSettings("seed", "scale");
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
        {
            work.Cancellation.ThrowIfCancellationRequested();
            work.Status("init-model");
            using var log = OpenLog(work);
            log.WriteLine($"$ preflab init-model --preset {preset} --tokenizer {tokenizer} --output {initial} --seed {work.Seed.ToString(CultureInfo.InvariantCulture)}");
            log.WriteLine(PresetModel.Create(preset, tokenizer, initial, work.Seed));
        }
        Run(work, "pretrain", ["--model", initial, "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("preset", "tokenizer", "data"), .. ResumeFlag(resume)]);
        Directory.Delete(initial, recursive: true);
    }

    public void Sft(NodeWork work)
    {
        bool resume = PrepareTrainingFolder(work);
        Run(work, "sft", ["--model", work.Input(InputRoles.Base), "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("data"), .. ResumeFlag(resume)]);
    }

    public void TrainRewardModel(NodeWork work)
    {
        bool resume = PrepareTrainingFolder(work);
        // "preset" chose the model the reward model starts from (the planner made that model its input).
        Run(work, "rm train", ["--model", work.Input(InputRoles.Model), "--data", work.File("data"), "--output", work.OutputFolder,
            .. work.OptionTokens("data", "preset"), .. ResumeFlag(resume)]);
        // PPO's EOS penalty and KL coefficient are set for a reward of mean 0 and std 1: store the normalisation
        // (r - mean) / std fitted on the responses of the RM's own training pairs, which every policy run reads
        // (`rm normalize --responses DATA`; a user can refit on policy samples with `rm normalize --policy`).
        work.Status("rm normalize");
        var fitted = RewardNormalizationFit.FromResponses(work.OutputFolder, work.File("data"));
        File.AppendAllText(Path.Combine(work.OutputFolder, LogFile), string.Create(CultureInfo.InvariantCulture,
            $"$ preflab rm normalize --model {work.OutputFolder} --responses {work.File("data")}\nnormalisation: mean {fitted.Mean:G6}, std {fitted.Std:G6} over {fitted.Samples} responses\n"));
    }

    public IReadOnlyList<PairVerdict> EvaluateRewardModel(NodeWork work) => RewardModelEvaluationNode.Run(work);

    public void TrainPolicy(NodeWork work)
    {
        string algorithm = work.Settings.GetString("algorithm") ?? throw new InvalidOperationException($"{work.Node}: no algorithm");
        bool resume = PrepareTrainingFolder(work);
        string model = work.Input(InputRoles.Model);
        if (algorithm is "dpo" or "kto")
        {
            Run(work, algorithm, ["--model", model, "--data", work.File("data"), "--output", work.OutputFolder,
                .. work.OptionTokens("algorithm", "data"), .. ResumeFlag(resume)]);
            return;
        }
        if (algorithm is not ("ppo" or "rloo" or "grpo" or "online-dpo")) throw new UserError($"{work.Node}: the lab cannot train algorithm '{algorithm}'");
        var reward = new List<string>();
        if (work.Settings.GetString("reward") == "gold") reward.AddRange(["--reward", "gold"]);
        else reward.AddRange(LabEnsemble.RewardTokens(work));
        // With a World the trainers also log the gold score of their samples (with a reward model) or use it as the reward.
        if (work.WorldFolder is { } world) reward.AddRange(["--world", world]);
        Run(work, algorithm, ["--policy", model, "--prompts", work.File("prompts"), "--output", work.OutputFolder,
            .. reward, .. work.OptionTokens(["algorithm", "prompts", "reward", .. LabEnsemble.SettingKeys]), .. ResumeFlag(resume)]);
    }

    public IReadOnlyList<ItemScore> BestOfN(NodeWork work) => BestOfNNode.Run(work);

    public IReadOnlyList<ItemScore> Evaluate(NodeWork work) => EvaluationNode.Run(work);

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

    /// <summary>Runs a training command on the node's command line: its output goes to the node's log, its own
    /// progress bar stays quiet (the lab's queue line owns the terminal), and a failure is thrown.</summary>
    static void Run(NodeWork work, string command, IReadOnlyList<string> tokens)
    {
        work.Cancellation.ThrowIfCancellationRequested();
        work.Status(command);
        var training = TrainingCommands.Named(command);
        string shown = $"preflab {command} {string.Join(" ", tokens.Select(t => t.Contains(' ') ? $"\"{t}\"" : t))}";
        var values = OptionValues.FromTokens(training.Options, tokens, $"{work.Node}: `{shown}`");
        using var log = OpenLog(work);
        log.WriteLine("$ " + shown);
        bool quiet = ProgressReporter.Quiet;
        ProgressReporter.Quiet = true;
        try
        {
            var result = training.Run(values, log);
            TrainingSummary.Print(log, command, work.OutputFolder, result);
        }
        finally
        {
            ProgressReporter.Quiet = quiet;
        }
    }

    static StreamWriter OpenLog(NodeWork work) =>
        new(Path.Combine(work.OutputFolder, LogFile), append: true) { AutoFlush = true };
}
