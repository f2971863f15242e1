using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>Where the reward comes from.</summary>
public enum RewardSource
{
    /// <summary>A trained reward model (<see cref="OnlineRlOptions.RewardModel"/>): its score of prompt + response.</summary>
    Model,
    /// <summary>The Preference World's gold judge (<see cref="OnlineRlOptions.World"/>), an oracle reward in [0, 1].</summary>
    Gold,
}

/// <summary>
/// What every online RL run (PPO, RLOO, GRPO) shares: the models, the reward, the prompts, sampling, the length
/// of the run and the optimizer. Defaults are the paper's recipe (DESIGN.md) where it has one; the World presets
/// pass larger learning rates (tiny models need them). <see cref="Ppo.PpoJobOptions"/> and
/// <see cref="GroupRl.GroupRlJobOptions"/> add their algorithm's knobs.
/// </summary>
public abstract record OnlineRlOptions
{
    /// <summary>The SFT policy folder (Hugging Face causal LM with tokenizer files). It is also the frozen reference.</summary>
    public required string Policy { get; init; }
    /// <summary>The prompts: a prompt file or any dataset the data layer reads prompts from.</summary>
    public required string Prompts { get; init; }
    public required string Output { get; init; }

    public RewardSource Reward { get; init; } = RewardSource.Model;
    /// <summary>A *ForSequenceClassification folder; required when <see cref="Reward"/> is <see cref="RewardSource.Model"/>.</summary>
    public string? RewardModel { get; init; }
    /// <summary>An ensemble of two or more reward model folders (instead of <see cref="RewardModel"/>): each member's
    /// normalised score combined by <see cref="Ensemble"/>.</summary>
    public IReadOnlyList<string> RewardModels { get; init; } = [];
    /// <summary>How an ensemble's members are combined (null: mean); only with <see cref="RewardModels"/>.</summary>
    public Rewards.EnsembleCombiner? Ensemble { get; init; }
    /// <summary>One weight per member with <see cref="Rewards.EnsembleCombiner.Weights"/>.</summary>
    public IReadOnlyList<double>? EnsembleWeights { get; init; }
    /// <summary>Every reward model folder: the ensemble's members, or the one <see cref="RewardModel"/>, or none.</summary>
    public IReadOnlyList<string> RewardModelFolders => RewardModels.Count > 0 ? RewardModels : RewardModel is null ? [] : [RewardModel];
    /// <summary>The ensemble's rule when the reward is an ensemble, else null (validated: errors name the option).</summary>
    public Rewards.RewardEnsemble? EnsembleRule() => RewardModels.Count == 0 ? null
        : Rewards.RewardEnsemble.Create(Ensemble ?? Rewards.EnsembleCombiner.Mean, EnsembleWeights, RewardModels.Count);
    /// <summary>A Preference World folder: the reward when <see cref="Reward"/> is gold; otherwise (optional) the
    /// source of the per-step <c>gold/score</c> metric, the honest over-optimisation signal.</summary>
    public string? World { get; init; }
    /// <summary>Apply the reward model's stored normalisation (when it has one).</summary>
    public bool NormalizeReward { get; init; } = true;

    /// <summary>The prompt file's format (null: detected).</summary>
    public string? PromptFormat { get; init; }
    public bool SkipBadRows { get; init; }
    /// <summary>LoRA adapters to train on the policy instead of all its weights (null: full fine-tuning). The
    /// reference is then the policy with its adapters switched off: no second copy is loaded.</summary>
    public Models.Lora.LoraConfig? Lora { get; init; }
    /// <summary>Chat format of the policy (null: recognised from its tokenizer_config.json).</summary>
    public string? ChatFormat { get; init; }
    /// <summary>Prompts whose rendered ids are longer are dropped and counted (run.json "prompts").</summary>
    public int MaxPromptLength { get; init; } = 512;

    /// <summary>Sampling temperature of the rollouts; the training log-probs use the same one (DESIGN: 0.7).</summary>
    public double Temperature { get; init; } = 0.7;
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Prompts per rollout (each sampled <c>k</c> times by RLOO/GRPO).</summary>
    public int RolloutBatchSize { get; init; } = 64;
    /// <summary>Prompts decoded together by the generator.</summary>
    public int GenerationBatchSize { get; init; } = 32;
    /// <summary>Sequences per forward pass in scoring and training (a micro-batch; minibatches accumulate them exactly).</summary>
    public int ForwardBatchSize { get; init; } = 8;
    /// <summary>How the old, reference and training log-probs reach the vocabulary (<c>--logits-chunk</c>): by default
    /// in chunks of positions when a micro-batch's logits would be large, recomputed in backward instead of kept.</summary>
    public LogitChunking LogitsChunk { get; init; } = LogitChunking.Auto;
    /// <summary>The score given to a response without EOS (replacing the reward); null: no penalty.</summary>
    public double? MissingEosPenalty { get; init; } = Ppo.RewardShaping.DefaultMissingEosPenalty;

    /// <summary>Passes over each rollout batch (TRL's num_ppo_epochs; GRPO's num_iterations).</summary>
    public int PpoEpochs { get; init; } = 1;
    /// <summary>Optimizer steps per pass over a rollout batch (the batch is split into this many minibatches).</summary>
    public int NumMinibatches { get; init; } = 1;

    /// <summary>The options every trainer shares (seed, length of the run, learning rate and schedule, AdamW, clipping,
    /// log/save cadence, resume, TensorBoard), held whole rather than copied field by field, so the shared loop and
    /// the optimizer read the same record the offline trainers do. Online RL reads <see cref="TrainingOptions.MaxSteps"/>
    /// as updates (overriding <see cref="TotalEpisodes"/>) and <see cref="TrainingOptions.Epochs"/> as passes over the
    /// prompts; <c>BatchSize</c>, <c>GradAccum</c>, <c>EvalEvery</c> and <c>BucketByLength</c> do not apply
    /// (<see cref="ForwardBatchSize"/> is the micro-batch). Start from <see cref="DefaultTraining"/> to keep the
    /// online defaults.</summary>
    public TrainingOptions Training { get; init; } = DefaultTraining;

    /// <summary>The shared options with online RL's defaults: the policy learning rate is the paper's 1e-6 (the
    /// offline default is 1e-5).</summary>
    public static TrainingOptions DefaultTraining { get; } = new() { Lr = 1e-6 };

    /// <summary>Prompts to draw in total (steps = ceil(episodes / rollout batch)); overrides the epochs.</summary>
    public long? TotalEpisodes { get; init; }

    /// <summary>Write every sample of a step to rollouts.jsonl every N steps (the first step always); 0: never.</summary>
    public int RolloutLogEvery { get; init; } = 10;

    /// <summary>What run.json records as the options (the CLI passes the resolved command line).</summary>
    public IReadOnlyDictionary<string, object?> RecordedOptions { get; init; } = new Dictionary<string, object?>();
    /// <summary>Where compact metric lines and notes go when no progress bar carries them.</summary>
    public TextWriter? Console { get; init; }
    /// <summary>Called after every minibatch's optimizer step with the numbers the loop computed (tests, diagnostics).</summary>
    public Action<MinibatchReport>? OnMinibatch { get; init; }
    /// <summary>PPO: called after each rollout's reward shaping with the rollout and its per-token rewards (tests, diagnostics).</summary>
    public Action<Rollout, Ppo.ShapedRewards>? OnRewards { get; init; }
    /// <summary>Called after each update with its number (1-based); tests use it to interrupt a run.</summary>
    public Action<long>? AfterStep { get; init; }

    /// <summary>Checks what a user can get wrong; errors name the option.</summary>
    public virtual void Validate()
    {
        if (Lora is not null && Lora.Validate().Dropout > 0)
            throw UserError.InOption("lora-dropout", "must be 0 for online RL: old and reference log-probs are computed without dropout, so the first minibatch's ratio would not be 1");
        if (RewardModel is not null && RewardModels.Count > 0)
            throw UserError.InOption("reward-model", "give either one reward model or an ensemble (RewardModels), not both");
        if (RewardModels.Count == 1)
            throw UserError.InOption("reward-model", "an ensemble needs at least two reward models (a single one is RewardModel)");
        if (Reward == RewardSource.Model && RewardModelFolders.Count == 0)
            throw UserError.InOption("reward-model", "is required (or pass --reward gold --world DIR for the World's gold reward)");
        if (Reward == RewardSource.Gold && World is null)
            throw UserError.InOption("world", "is required with --reward gold");
        if (Reward == RewardSource.Gold && RewardModelFolders.Count > 0)
            throw UserError.InOption("reward-model", "does not apply with --reward gold (the World's judge is the reward)");
        if (RewardModels.Count == 0 && Ensemble is not null)
            throw UserError.InOption("ensemble", "combines two or more reward models: repeat --reward-model");
        if (RewardModels.Count == 0 && EnsembleWeights is not null)
            throw UserError.InOption("ensemble-weights", "applies only to an ensemble (--reward-model repeated, --ensemble weights)");
        EnsembleRule();
        if (MaxPromptLength < 1) throw UserError.InOption("max-prompt-length", $"must be at least 1, not {MaxPromptLength}");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw UserError.InOption("temperature", $"must be a positive number (online RL samples), not {Temperature}");
        if (MaxNewTokens < 1) throw UserError.InOption("max-new-tokens", $"must be at least 1, not {MaxNewTokens}");
        if (RolloutBatchSize < 1) throw UserError.InOption("rollout-batch-size", $"must be at least 1, not {RolloutBatchSize}");
        if (GenerationBatchSize < 1) throw UserError.InOption("generation-batch-size", $"must be at least 1, not {GenerationBatchSize}");
        if (ForwardBatchSize < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {ForwardBatchSize}");
        if (MissingEosPenalty is double p && !double.IsFinite(p)) throw UserError.InOption("missing-eos-penalty", $"must be a finite number, not {p}");
        if (PpoEpochs < 1) throw UserError.InOption("ppo-epochs", $"must be at least 1, not {PpoEpochs}");
        if (NumMinibatches < 1) throw UserError.InOption("num-minibatches", $"must be at least 1, not {NumMinibatches}");
        if (TotalEpisodes is < 1) throw UserError.InOption("total-episodes", $"must be at least 1, not {TotalEpisodes}");
        if (RolloutLogEvery < 0) throw UserError.InOption("rollout-log-every", $"must be 0 or more, not {RolloutLogEvery}");
        Training.Validate();
    }

    /// <summary>Rows of one rollout: prompts × samples per prompt. Minibatches must split it evenly.</summary>
    internal void ValidateRows(int samplesPerPrompt)
    {
        long rows = (long)RolloutBatchSize * samplesPerPrompt;
        if (rows % NumMinibatches != 0)
            throw UserError.InOption("num-minibatches", $"{NumMinibatches} minibatches do not split a rollout of {rows} samples " +
                $"({RolloutBatchSize} prompts × {samplesPerPrompt}) evenly");
    }

    /// <summary>Updates the run makes: --max-steps, else ceil(--total-episodes / rollout batch), else epochs over the prompts.</summary>
    public long TotalSteps(int promptCount)
    {
        if (Training.MaxSteps is long steps) return steps;
        long episodes = TotalEpisodes ?? (long)Training.Epochs * promptCount;
        return Math.Max(1, (episodes + RolloutBatchSize - 1) / RolloutBatchSize);
    }
}
