using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Generation;
using PrefLab.Algorithms.Lora;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// What PPO, RLOO and GRPO load alike: the policy's tokenizer and chat format, the prompt pool, the policy, the
/// frozen reference (a second copy of the policy folder: the SFT model), the reward (reward model or gold judge),
/// the optional gold monitor, the generator and the rollout engine. Everything is checked before a run folder
/// is created, so a bad option leaves nothing behind.
/// </summary>
public sealed class OnlineRlSession : IDisposable
{
    OnlineRlSession(OnlineRlOptions options, HfTokenizer tokenizer, ChatTokenizer chat, PromptPool pool, CausalLM policy, CausalLM reference,
        LoraAdapters? adapters, IRewardScorer reward, GoldRewardScorer? gold, TextGenerator generator)
    {
        Adapters = adapters;
        Options = options;
        Tokenizer = tokenizer;
        Chat = chat;
        Pool = pool;
        Policy = policy;
        Reference = reference;
        Reward = reward;
        Gold = gold;
        Generator = generator;
        Engine = new RolloutEngine(options, pool, policy, reference, generator, reward, gold) { ReferenceAdaptersOff = adapters };
    }

    public OnlineRlOptions Options { get; }
    public HfTokenizer Tokenizer { get; }
    public ChatTokenizer Chat { get; }
    public PromptPool Pool { get; }
    public CausalLM Policy { get; }
    /// <summary>The frozen reference: a second copy of the policy folder, or with LoRA the policy itself, run with
    /// <see cref="Adapters"/> switched off.</summary>
    public CausalLM Reference { get; }
    /// <summary>The policy's LoRA adapters (the only trained policy tensors), or null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; }
    public IRewardScorer Reward { get; }
    public GoldRewardScorer? Gold { get; }
    public TextGenerator Generator { get; }
    public RolloutEngine Engine { get; }
    /// <summary>The reward model when the reward is one; with an ensemble, its first member (PPO's value model starts from it).</summary>
    public RewardModelScorer? PrimaryRewardModel => Reward switch
    {
        RewardModelScorer scorer => scorer,
        EnsembleRewardScorer ensemble => ensemble.Members[0],
        _ => null,
    };
    /// <summary>The reward model folder when the reward is one (an ensemble's first member).</summary>
    public string? RewardModelFolder => PrimaryRewardModel?.Folder;
    /// <summary>True when the reward model (an ensemble's first member) reads the policy's ids as they are (same tokenizer and chat format).</summary>
    public bool RewardSharesTokens => PrimaryRewardModel is { PassesIds: true };

    public static OnlineRlSession Open(OnlineRlOptions options)
    {
        TorchRuntime.EnsureLoaded();
        options.Validate();
        if (!Directory.Exists(options.Policy)) throw UserError.InOption("policy", $"folder not found: {options.Policy}");
        var tokenizer = TokenizerLoader.Load(options.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        var pool = PromptPool.Load(options.Prompts, new ReadOptions { Format = options.PromptFormat, SkipBadRows = options.SkipBadRows },
            chat, options.MaxPromptLength, options.Training.Seed);
        var gold = options.World is null ? null : GoldRewardScorer.Load(options.World);
        gold?.CheckPrompts(pool);
        var disposables = new List<IDisposable>();
        try
        {
            IRewardScorer reward = options.Reward == RewardSource.Gold
                ? gold!
                : options.EnsembleRule() is { } rule
                    ? EnsembleRewardScorer.Load(options.RewardModels, rule, options.Policy, chat.Format, options.ForwardBatchSize, options.NormalizeReward)
                    : RewardModelScorer.Load(options.RewardModel!, options.Policy, chat.Format, options.ForwardBatchSize, options.NormalizeReward);
            if (!ReferenceEquals(reward, gold)) disposables.Add(reward);
            if (reward is RewardModelScorer scorer) options.Console?.WriteLine($"reward: {scorer.NormalizationNote()}");
            if (reward is EnsembleRewardScorer ensemble)
            {
                options.Console?.WriteLine($"reward: ensemble of {ensemble.Members.Count} reward models, combined by {Rewards.RewardEnsemble.Name(ensemble.Rule.Combiner)}");
                foreach (string note in ensemble.NormalizationNotes()) options.Console?.WriteLine($"reward: {note}");
            }
            var policy = CausalLM.Load(options.Policy, options.Training.Compute());
            disposables.Add(policy);
            LoraAdapters? adapters = null;
            CausalLM reference;
            if (options.Lora is not null)
            {
                adapters = LoraPolicy.AttachNew(policy, options.Lora, options.Policy, options.Training.Seed);
                disposables.Insert(0, adapters);
                reference = policy; // the base: the policy with its adapters off (no second copy)
            }
            else
            {
                reference = CausalLM.Load(options.Policy, options.Training.Compute());
                disposables.Add(reference);
                foreach (var parameter in reference.parameters()) parameter.requires_grad_(false);
            }
            var generator = TextGenerator.For(policy, tokenizer);
            if (generator.EosIds.Count == 0)
                throw UserError.InOption("policy", $"{options.Policy}: no EOS token id (generation_config.json, config.json or the tokenizer): " +
                    "responses could never end and every one would get the missing-EOS penalty");
            return new OnlineRlSession(options, tokenizer, chat, pool, policy, reference, adapters, reward, gold, generator);
        }
        catch
        {
            foreach (var d in disposables) d.Dispose();
            throw;
        }
    }

    /// <summary>Writes the policy (Hugging Face layout, with the policy folder's tokenizer files) into <paramref name="folder"/>.</summary>
    public void SavePolicy(string folder)
    {
        LoraPolicy.Save(Policy, Adapters, folder, Options.Policy, Tokenizer.PadId);
    }

    /// <summary>For run.json: the models and where they came from.</summary>
    public JsonObject DescribeModels() => new()
    {
        ["policy"] = Path.GetFullPath(Options.Policy),
        ["reference"] = Path.GetFullPath(Options.Policy) + (Adapters is null ? " (frozen copy of the initial policy)" : " (the policy with its LoRA adapters off)"),
        ["lora"] = Adapters is null ? null : LoraPolicy.Report(Adapters, Policy),
        ["parameters"] = Policy.ParameterCount,
        ["eos_ids"] = new JsonArray(Generator.EosIds.Select(id => (JsonNode?)id).ToArray()),
    };

    public void Dispose()
    {
        Adapters?.Dispose();
        Policy.Dispose();
        if (!ReferenceEquals(Reference, Policy)) Reference.Dispose();
        if (!ReferenceEquals(Reward, Gold)) Reward.Dispose();
        Gold?.Dispose();
    }
}
