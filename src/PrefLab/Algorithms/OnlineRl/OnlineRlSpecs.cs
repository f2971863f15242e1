using System.Globalization;
using PrefLab.Data.Formats;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;
using PrefLab.Text.Chat;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The options <c>ppo</c>, <c>rloo</c>, <c>grpo</c> and <c>online-dpo</c> share: models and reward, prompts,
/// sampling, the run's length and minibatching, plus the subset of the trainers' shared options that online RL uses
/// (<see cref="TrainerSpecs.ForOnlineRl"/>). --grad-accum, --max-length and --eval-* do not apply and are not offered.
/// Every default is the algorithm's options record's.
/// </summary>
public sealed class OnlineRlSpecs
{
    public readonly TrainerSpecs Trainer;
    public readonly OptionSpec<string> Policy = new("policy", "The SFT policy folder (Hugging Face layout with tokenizer files); also the frozen KL reference.") { Required = true, HelpName = "DIR" };
    public readonly OptionSpec<string[]> RewardModel = new("reward-model", "Reward model folder (*ForSequenceClassification): the reward is its score of prompt + response at the EOS. Repeat for an ensemble: each member's normalised score, combined by --ensemble.") { HelpName = "DIR" };
    public readonly OptionSpec<string?> Ensemble = new("ensemble", "How an ensemble's (repeated --reward-model) normalised scores combine: mean (default), min, or weights (with --ensemble-weights).") { HelpName = "mean|min|weights" };
    public readonly OptionSpec<string?> EnsembleWeights = new("ensemble-weights", "With --ensemble weights: one non-negative weight per --reward-model, comma-separated (the reward is sum w_i s_i / sum w_i).") { HelpName = "W1,W2,..." };
    public readonly OptionSpec<RewardSource> Reward;
    public readonly OptionSpec<string?> World = new("world", "Preference World folder: the reward with --reward gold; with a reward model, logs gold/score (mean gold score of each update's samples).") { HelpName = "DIR" };
    public readonly OptionSpec<bool> NoRewardNormalization = new("no-reward-normalization", "Use the reward model's raw score even when it stores a normalisation.");
    public readonly OptionSpec<string> Prompts = new("prompts", "Training prompts: a prompt file or any dataset the data layer reads prompts from (JSONL or Parquet).") { Required = true, HelpName = "FILE" };
    public readonly OptionSpec<string?> Format = new("format", $"The --prompts file's format (default: detected): {string.Join(", ", DataFormats.Names)}.") { HelpName = "NAME" };
    public readonly OptionSpec<bool> SkipBadRows = new("skip-bad-rows", "Skip malformed prompt rows (counted in run.json) instead of stopping.");
    public readonly OptionSpec<string?> ChatFormat = new("chat-format", ChatFormats.OptionHelp("The policy's")) { HelpName = "NAME" };
    public readonly OptionSpec<int> MaxPromptLength;
    public readonly OptionSpec<double> Temperature;
    public readonly OptionSpec<int> MaxNewTokens;
    public readonly OptionSpec<int> RolloutBatchSize;
    public readonly OptionSpec<int> GenerationBatchSize;
    public readonly OptionSpec<string> MissingEosPenalty;
    public readonly OptionSpec<int> PpoEpochs;
    public readonly OptionSpec<int> NumMinibatches;
    public readonly OptionSpec<long?> TotalEpisodes = new("total-episodes", "Prompts to draw in total (updates = ceil(episodes / --rollout-batch-size)); overrides --epochs.") { HelpName = "N" };
    public readonly OptionSpec<string> LogitsChunk = new("logits-chunk", "How log-probs reach the vocabulary: auto (in chunks of positions, recomputed in backward, when a batch's logits would exceed 64 Mi values, as with 150k-word vocabularies), off (all positions at once), on, or N positions per chunk.") { Default = () => "auto", HelpName = "auto|off|on|N" };
    public readonly OptionSpec<int> RolloutLogEvery;
    /// <summary>lora-* on the policy (the reference is then the policy with its adapters off).</summary>
    public readonly LoraSpecs Lora = new();

    /// <param name="defaults">The algorithm's options record with its defaults (what every option here shows and applies).</param>
    public OnlineRlSpecs(OnlineRlOptions defaults)
    {
        var training = defaults.Training;
        Trainer = new TrainerSpecs(new TrainerDefaults
        {
            Lr = training.Lr, Epochs = training.Epochs, BatchSize = defaults.ForwardBatchSize, Schedule = training.Schedule,
            WarmupRatio = training.WarmupRatio, MinLrRatio = training.MinLrRatio, WeightDecay = training.WeightDecay,
        });
        Reward = new("reward", "model: the --reward-model's score; gold: the --world's gold judge (an oracle reward in [0, 1]).") { Default = () => defaults.Reward, HelpName = "model|gold" };
        MaxPromptLength = new("max-prompt-length", "Prompts longer than this many tokens (rendered) are dropped and counted.") { Default = () => defaults.MaxPromptLength, HelpName = "N" };
        Temperature = new("temperature", "Sampling temperature of the rollouts; training log-probs use the same one.") { Default = () => defaults.Temperature, HelpName = "T" };
        MaxNewTokens = new("max-new-tokens", "Longest response; a response that reaches it without EOS gets --missing-eos-penalty.") { Default = () => defaults.MaxNewTokens, HelpName = "N" };
        RolloutBatchSize = new("rollout-batch-size", "Prompts per update.") { Default = () => defaults.RolloutBatchSize, HelpName = "N" };
        GenerationBatchSize = new("generation-batch-size", "Prompts decoded together while sampling.") { Default = () => defaults.GenerationBatchSize, HelpName = "N" };
        MissingEosPenalty = new("missing-eos-penalty", "Score of a response without EOS (replaces its reward), or 'none'.")
        {
            Default = () => defaults.MissingEosPenalty is double p ? p.ToString(CultureInfo.InvariantCulture) : "none", HelpName = "X|none",
        };
        PpoEpochs = new("ppo-epochs", "Passes over each rollout batch (1: fully on-policy, the paper's open-instruct setting; TRL's PPO uses 4).") { Default = () => defaults.PpoEpochs, HelpName = "N" };
        NumMinibatches = new("num-minibatches", "Optimizer steps per pass (the rollout batch is split evenly).") { Default = () => defaults.NumMinibatches, HelpName = "N" };
        RolloutLogEvery = new("rollout-log-every", "Write every sample of an update to rollouts.jsonl every N updates (the first always; 0: never).") { Default = () => defaults.RolloutLogEvery, HelpName = "N" };
    }

    /// <summary>The command's options: <paramref name="own"/> (the algorithm's knobs) first, as the help lists them.</summary>
    public IReadOnlyList<OptionSpec> Options(params OptionSpec[] own) =>
    [
        .. own,
        Policy, RewardModel, Ensemble, EnsembleWeights, Reward, World, NoRewardNormalization, Prompts, Format, SkipBadRows, ChatFormat, MaxPromptLength, Temperature,
        MaxNewTokens, RolloutBatchSize, GenerationBatchSize, MissingEosPenalty, PpoEpochs, NumMinibatches, TotalEpisodes, RolloutLogEvery, LogitsChunk,
        .. Trainer.ForOnlineRl, .. Lora.All,
    ];

    /// <summary>The shared values over <paramref name="options"/> (an algorithm's options record, its own knobs set).</summary>
    public T Bind<T>(T options, OptionValues values, TextWriter console) where T : OnlineRlOptions
    {
        var rewardModels = (values.Get(RewardModel) ?? []).Select(rm => OptionPaths.ExistingFolder(rm, "reward-model")).ToList();
        OnlineRlOptions result = options with
        {
            Reward = values.Get(Reward),
            RewardModel = rewardModels.Count == 1 ? rewardModels[0] : null,
            RewardModels = rewardModels.Count > 1 ? rewardModels : [],
            Ensemble = values.Get(Ensemble) is string combiner ? RewardEnsemble.ParseCombiner(combiner) : null,
            EnsembleWeights = values.Get(EnsembleWeights) is string weights ? RewardEnsemble.ParseWeights(weights) : null,
            World = values.Get(World) is string world ? OptionPaths.ExistingFolder(world, "world") : null,
            NormalizeReward = !values.Get(NoRewardNormalization),
            PromptFormat = values.Get(Format),
            SkipBadRows = values.Get(SkipBadRows),
            Lora = Lora.Read(values),
            ChatFormat = values.Get(ChatFormat),
            MaxPromptLength = values.Get(MaxPromptLength),
            Temperature = values.Get(Temperature),
            MaxNewTokens = values.Get(MaxNewTokens),
            RolloutBatchSize = values.Get(RolloutBatchSize),
            GenerationBatchSize = values.Get(GenerationBatchSize),
            ForwardBatchSize = values.Get(Trainer.BatchSize),
            MissingEosPenalty = ParsePenalty(values.Get(MissingEosPenalty)),
            PpoEpochs = values.Get(PpoEpochs),
            NumMinibatches = values.Get(NumMinibatches),
            TotalEpisodes = values.Get(TotalEpisodes),
            RolloutLogEvery = values.Get(RolloutLogEvery),
            LogitsChunk = LogitChunking.Parse(values.Get(LogitsChunk)),
            // The options every trainer shares, on the same record the offline trainers use; only those this
            // command offers (ForOnlineRl) are read, the rest keep online RL's defaults.
            Training = Trainer.ReadShared(values, options.Training),
            RecordedOptions = RecordRewardModels(values.Recorded(), rewardModels),
            Console = console,
        };
        TrainerSpecs.WarnIfEmulated(console, result.Training.Precision);
        return (T)result;
    }

    /// <summary>run.json's "reward-model": the folder as a string for one (as before ensembles), a list for an ensemble, null for none.</summary>
    public static Dictionary<string, object?> RecordRewardModels(Dictionary<string, object?> recorded, IReadOnlyList<string> folders)
    {
        recorded["reward-model"] = folders.Count switch { 0 => null, 1 => folders[0], _ => folders.ToArray() };
        return recorded;
    }

    static double? ParsePenalty(string text)
    {
        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase)) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        throw UserError.InOption("missing-eos-penalty", $"'{text}' is neither a number nor 'none'");
    }
}
