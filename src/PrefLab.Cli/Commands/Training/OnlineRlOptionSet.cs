using System.CommandLine;
using System.Globalization;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Data.Formats;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Training;

/// <summary>
/// The options <c>ppo</c>, <c>rloo</c> and <c>grpo</c> share: models and reward, prompts, sampling, the run's
/// length and minibatching, plus the subset of the trainers' shared options that online RL uses (--output,
/// --seed, --epochs, --max-steps, --lr, --batch-size, the schedule and optimizer knobs, --save-every, --resume,
/// --log-every, --tensorboard). --grad-accum, --max-length and --eval-* do not apply and are not offered.
/// </summary>
public sealed class OnlineRlOptionSet
{
    /// <summary>The library's defaults, which every option here shows and applies (one home: <see cref="OnlineRlOptions"/>).</summary>
    internal static readonly OnlineRlOptions Defaults = new Algorithms.Ppo.PpoJobOptions { Policy = "", Prompts = "", Output = "" };

    public readonly TrainerOptionSet Trainer = new(new TrainerDefaults
    {
        Lr = Defaults.Training.Lr, Epochs = Defaults.Training.Epochs, BatchSize = Defaults.ForwardBatchSize, Schedule = Defaults.Training.Schedule,
        WarmupRatio = Defaults.Training.WarmupRatio, MinLrRatio = Defaults.Training.MinLrRatio, WeightDecay = Defaults.Training.WeightDecay,
    });
    public readonly Option<string> Policy = new("--policy") { Description = "The SFT policy folder (Hugging Face layout with tokenizer files); also the frozen KL reference.", Required = true, HelpName = "DIR" };
    public readonly Option<string[]> RewardModel = new("--reward-model") { Description = "Reward model folder (*ForSequenceClassification): the reward is its score of prompt + response at the EOS. Repeat for an ensemble: each member's normalised score, combined by --ensemble.", HelpName = "DIR" };
    public readonly Option<string?> Ensemble = new("--ensemble") { Description = "How an ensemble's (repeated --reward-model) normalised scores combine: mean (default), min, or weights (with --ensemble-weights).", HelpName = "mean|min|weights" };
    public readonly Option<string?> EnsembleWeights = new("--ensemble-weights") { Description = "With --ensemble weights: one non-negative weight per --reward-model, comma-separated (the reward is sum w_i s_i / sum w_i).", HelpName = "W1,W2,..." };
    public readonly Option<RewardSource> Reward = new("--reward") { Description = "model: the --reward-model's score; gold: the --world's gold judge (an oracle reward in [0, 1]).", DefaultValueFactory = _ => Defaults.Reward, HelpName = "model|gold" };
    public readonly Option<string?> World = new("--world") { Description = "Preference World folder: the reward with --reward gold; with a reward model, logs gold/score (mean gold score of each update's samples).", HelpName = "DIR" };
    public readonly Option<bool> NoRewardNormalization = new("--no-reward-normalization") { Description = "Use the reward model's raw score even when it stores a normalisation." };
    public readonly Option<string> Prompts = new("--prompts") { Description = "Training prompts: a prompt file or any dataset the data layer reads prompts from (JSONL or Parquet).", Required = true, HelpName = "FILE" };
    public readonly Option<string?> Format = new("--format") { Description = $"The --prompts file's format (default: detected): {string.Join(", ", DataFormats.Names)}.", HelpName = "NAME" };
    public readonly Option<bool> SkipBadRows = new("--skip-bad-rows") { Description = "Skip malformed prompt rows (counted in run.json) instead of stopping." };
    public readonly Option<string?> ChatFormat = new("--chat-format") { Description = ChatFormats.OptionHelp("The policy's"), HelpName = "NAME" };
    public readonly Option<int> MaxPromptLength = new("--max-prompt-length") { Description = "Prompts longer than this many tokens (rendered) are dropped and counted.", DefaultValueFactory = _ => Defaults.MaxPromptLength, HelpName = "N" };
    public readonly Option<double> Temperature = new("--temperature") { Description = "Sampling temperature of the rollouts; training log-probs use the same one.", DefaultValueFactory = _ => Defaults.Temperature, HelpName = "T" };
    public readonly Option<int> MaxNewTokens = new("--max-new-tokens") { Description = "Longest response; a response that reaches it without EOS gets --missing-eos-penalty.", DefaultValueFactory = _ => Defaults.MaxNewTokens, HelpName = "N" };
    public readonly Option<int> RolloutBatchSize = new("--rollout-batch-size") { Description = "Prompts per update.", DefaultValueFactory = _ => Defaults.RolloutBatchSize, HelpName = "N" };
    public readonly Option<int> GenerationBatchSize = new("--generation-batch-size") { Description = "Prompts decoded together while sampling.", DefaultValueFactory = _ => Defaults.GenerationBatchSize, HelpName = "N" };
    public readonly Option<string> MissingEosPenalty = new("--missing-eos-penalty") { Description = "Score of a response without EOS (replaces its reward), or 'none'.", DefaultValueFactory = _ => Defaults.MissingEosPenalty is double p ? p.ToString(CultureInfo.InvariantCulture) : "none", HelpName = "X|none" };
    public readonly Option<int> PpoEpochs = new("--ppo-epochs") { Description = "Passes over each rollout batch (1: fully on-policy, the paper's open-instruct setting; TRL's PPO uses 4).", DefaultValueFactory = _ => Defaults.PpoEpochs, HelpName = "N" };
    public readonly Option<int> NumMinibatches = new("--num-minibatches") { Description = "Optimizer steps per pass (the rollout batch is split evenly).", DefaultValueFactory = _ => Defaults.NumMinibatches, HelpName = "N" };
    public readonly Option<long?> TotalEpisodes = new("--total-episodes") { Description = "Prompts to draw in total (updates = ceil(episodes / --rollout-batch-size)); overrides --epochs.", HelpName = "N" };
    public readonly Option<string> LogitsChunk = new("--logits-chunk") { Description = "How log-probs reach the vocabulary: auto (in chunks of positions, recomputed in backward, when a batch's logits would exceed 64 Mi values, as with 150k-word vocabularies), off (all positions at once), on, or N positions per chunk.", DefaultValueFactory = _ => "auto", HelpName = "auto|off|on|N" };
    public readonly Option<int> RolloutLogEvery = new("--rollout-log-every") { Description = "Write every sample of an update to rollouts.jsonl every N updates (the first always; 0: never).", DefaultValueFactory = _ => Defaults.RolloutLogEvery, HelpName = "N" };

    IEnumerable<Option> Own => new Option[]
    {
        Policy, RewardModel, Ensemble, EnsembleWeights, Reward, World, NoRewardNormalization, Prompts, Format, SkipBadRows, ChatFormat, MaxPromptLength, Temperature,
        MaxNewTokens, RolloutBatchSize, GenerationBatchSize, MissingEosPenalty, PpoEpochs, NumMinibatches, TotalEpisodes, RolloutLogEvery, LogitsChunk,
    };

    IEnumerable<Option> FromTrainer => new Option[]
    {
        Trainer.Output, Trainer.Seed, Trainer.Epochs, Trainer.MaxSteps, Trainer.Lr, Trainer.BatchSize, Trainer.WarmupRatio, Trainer.Schedule,
        Trainer.MinLrRatio, Trainer.WeightDecay, Trainer.ClipNorm, Trainer.Beta1, Trainer.Beta2, Trainer.SaveEvery, Trainer.KeepCheckpoints,
        Trainer.Resume, Trainer.LogEvery, Trainer.Tensorboard, Trainer.Precision,
    };

    /// <summary>--lora-* on the policy (the reference is then the policy with its adapters off).</summary>
    public readonly LoraOptionSet Lora = new();

    public void AddTo(Command command)
    {
        foreach (var option in Own.Concat(FromTrainer)) command.Options.Add(option);
        Lora.AddTo(command);
    }

    /// <summary>The shared values from a parse, over <paramref name="options"/> (an algorithm's options record).</summary>
    public T Apply<T>(T options, ParseResult parse) where T : OnlineRlOptions
    {
        var rewardModels = (parse.GetValue(RewardModel) ?? []).Select(rm => CommandPaths.ExistingFolder(rm, "reward-model")).ToList();
        OnlineRlOptions result = options with
        {
            Reward = parse.GetValue(Reward),
            RewardModel = rewardModels.Count == 1 ? rewardModels[0] : null,
            RewardModels = rewardModels.Count > 1 ? rewardModels : [],
            Ensemble = parse.GetValue(Ensemble) is string combiner ? RewardEnsemble.ParseCombiner(combiner) : null,
            EnsembleWeights = parse.GetValue(EnsembleWeights) is string weights ? RewardEnsemble.ParseWeights(weights) : null,
            World = parse.GetValue(World) is string world ? CommandPaths.ExistingFolder(world, "world") : null,
            NormalizeReward = !parse.GetValue(NoRewardNormalization),
            PromptFormat = parse.GetValue(Format),
            SkipBadRows = parse.GetValue(SkipBadRows),
            Lora = Lora.Read(parse),
            ChatFormat = parse.GetValue(ChatFormat),
            MaxPromptLength = parse.GetValue(MaxPromptLength),
            Temperature = parse.GetValue(Temperature),
            MaxNewTokens = parse.GetValue(MaxNewTokens),
            RolloutBatchSize = parse.GetValue(RolloutBatchSize),
            GenerationBatchSize = parse.GetValue(GenerationBatchSize),
            ForwardBatchSize = parse.GetValue(Trainer.BatchSize),
            MissingEosPenalty = ParsePenalty(parse.GetValue(MissingEosPenalty)!),
            PpoEpochs = parse.GetValue(PpoEpochs),
            NumMinibatches = parse.GetValue(NumMinibatches),
            TotalEpisodes = parse.GetValue(TotalEpisodes),
            RolloutLogEvery = parse.GetValue(RolloutLogEvery),
            LogitsChunk = PrefLab.Models.LogProbs.LogitChunking.Parse(parse.GetValue(LogitsChunk)),
            // The options every trainer shares, on the same record the offline trainers use; only those this
            // command offers (FromTrainer) are read, the rest keep online RL's defaults.
            Training = options.Training with
            {
                MaxSteps = parse.GetValue(Trainer.MaxSteps),
                Epochs = parse.GetValue(Trainer.Epochs),
                Seed = parse.GetValue(Trainer.Seed),
                Lr = parse.GetValue(Trainer.Lr),
                Schedule = parse.GetValue(Trainer.Schedule),
                WarmupRatio = parse.GetValue(Trainer.WarmupRatio),
                MinLrRatio = parse.GetValue(Trainer.MinLrRatio),
                WeightDecay = parse.GetValue(Trainer.WeightDecay),
                Beta1 = parse.GetValue(Trainer.Beta1),
                Beta2 = parse.GetValue(Trainer.Beta2),
                ClipNorm = parse.GetValue(Trainer.ClipNorm),
                LogEvery = parse.GetValue(Trainer.LogEvery),
                SaveEvery = parse.GetValue(Trainer.SaveEvery),
                KeepCheckpoints = parse.GetValue(Trainer.KeepCheckpoints),
                Resume = parse.GetValue(Trainer.Resume),
                Tensorboard = parse.GetValue(Trainer.Tensorboard),
                Precision = parse.GetValue(Trainer.Precision),
            },
            RecordedOptions = RecordRewardModels(ResolvedOptions.Of(parse), rewardModels),
            Console = parse.InvocationConfiguration.Error,
        };
        TrainerOptionSet.WarnIfEmulated(parse, result.Training.Precision);
        return (T)result;
    }

    /// <summary>run.json's "reward-model": the folder as a string for one (as before ensembles), a list for an ensemble, null for none.</summary>
    internal static Dictionary<string, object?> RecordRewardModels(Dictionary<string, object?> recorded, IReadOnlyList<string> folders)
    {
        recorded["reward-model"] = folders.Count switch { 0 => null, 1 => folders[0], _ => folders.ToArray() };
        return recorded;
    }

    public string Output(ParseResult parse) => parse.GetValue(Trainer.Output)!;

    static double? ParsePenalty(string text)
    {
        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase)) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        throw UserError.InOption("missing-eos-penalty", $"'{text}' is neither a number nor 'none'");
    }
}
