using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Rewards;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>How <see cref="RewardNormalizationFit.FromPolicy"/> samples the policy.</summary>
public sealed record PolicySamplingOptions
{
    /// <summary>Responses to sample (one per prompt slot: prompts in a seeded random order, repeated when the file has fewer).</summary>
    public int Samples { get; init; } = 512;
    /// <summary>Sampling settings; the default temperature 0.7 is the paper's PPO sampling temperature, so the
    /// fitted normalisation puts the rewards of PPO's first rollouts at mean 0 and std 1.</summary>
    public GenerationOptions Generation { get; init; } = new() { Temperature = 0.7, MaxNewTokens = 128 };
    /// <summary>Chat format of the policy (null: recognised from its tokenizer_config.json).</summary>
    public string? ChatFormat { get; init; }
    public ReadOptions Read { get; init; } = new();
}

/// <summary>Fits a <see cref="RewardNormalization"/> for a reward model and stores it in the model's folder.</summary>
public static class RewardNormalizationFit
{
    /// <summary>
    /// From a file of policy samples (prompt/response rows, conversations, or pairs: every response counts):
    /// the raw rewards' mean and population std, written to the folder's <c>reward_normalization.json</c>
    /// (replacing any earlier one). Samples that do not fit the model's length are left out and recorded.
    /// </summary>
    public static RewardNormalization FromResponses(string rewardModelFolder, string responsesFile, RewardModelOptions? options = null,
        ReadOptions? read = null)
    {
        options = (options ?? new RewardModelOptions()) with { Normalize = false };
        RewardNormalization fitted;
        using (var model = RewardModel.Load(rewardModelFolder, options))
        {
            var rewards = RewardFileScorer.RawRewards(model, responsesFile, read ?? new ReadOptions(), out var report);
            if (rewards.Count < 2)
                throw UserError.InOption("responses", $"{responsesFile}: {rewards.Count} responses could be scored ({report.Tokenization}); normalisation needs at least 2");
            fitted = RewardNormalization.Fit(rewards, new JsonObject
            {
                ["responses"] = report.Input,
                ["kind"] = report.Kind.ToString(),
                ["rows"] = report.Rows,
                ["unscored"] = report.Tokenization.DroppedTotal,
                ["max_length"] = model.MaxLength,
            });
        }
        fitted.Write(rewardModelFolder);
        return fitted;
    }

    /// <summary>
    /// From the policy's own samples: <see cref="PolicySamplingOptions.Samples"/> responses sampled from
    /// <paramref name="policyFolder"/> on the prompts of <paramref name="promptsFile"/> (visited in a random order
    /// seeded by the generation seed, cycling when there are fewer prompts than samples), scored raw, and their
    /// mean and population std stored in the reward model folder. Every sample counts, also one that hit the
    /// length limit without an EOS (recorded as <c>without_eos</c>); one too long for the reward model is left out.
    /// </summary>
    public static RewardNormalization FromPolicy(string rewardModelFolder, string policyFolder, string promptsFile,
        PolicySamplingOptions? sampling = null, RewardModelOptions? scoring = null)
    {
        sampling ??= new PolicySamplingOptions();
        if (sampling.Samples < 2) throw UserError.InOption("samples", $"must be at least 2, not {sampling.Samples}");
        sampling.Generation.Validate();
        scoring = (scoring ?? new RewardModelOptions()) with { Normalize = false };
        var prompts = DatasetReader.ReadPrompts(promptsFile, sampling.Read).ToList();
        if (prompts.Count == 0) throw UserError.InOption("prompts", $"{promptsFile}: holds no prompts");
        var rng = Seeding.Stream(sampling.Generation.Seed, "rm/normalize/prompts");
        var order = Enumerable.Range(0, prompts.Count).OrderBy(_ => rng.Next()).ToArray();
        var picked = Enumerable.Range(0, sampling.Samples).Select(i => prompts[order[i % order.Length]].Messages).ToList();

        TorchRuntime.EnsureLoaded();
        var tokenizer = TokenizerLoader.Load(policyFolder);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, sampling.ChatFormat));
        GenerationResult generated;
        using (var policy = CausalLM.Load(policyFolder))
        using (var progress = ProgressReporter.Start("rm normalize: sampling", picked.Count, "sample"))
            generated = TextGenerator.For(policy, tokenizer).Generate(chat, picked, sampling.Generation, done => progress.Advance(done));

        RewardNormalization fitted;
        using (var model = RewardModel.Load(rewardModelFolder, scoring))
        {
            var report = new CollationReport();
            var conversations = picked.Select((p, i) => (IReadOnlyList<Message>)[.. p, Message.Assistant(generated[i].Text ?? "")]).ToList();
            var rewards = model.TryScoreRaw(conversations, report).OfType<double>().ToList();
            if (rewards.Count < 2)
                throw UserError.InOption("prompts", $"{rewards.Count} of {picked.Count} samples could be scored ({report}); normalisation needs at least 2");
            fitted = RewardNormalization.Fit(rewards, new JsonObject
            {
                ["policy"] = Path.GetFullPath(policyFolder),
                ["prompts"] = Path.GetFullPath(promptsFile),
                ["distinct_prompts"] = Math.Min(prompts.Count, picked.Count),
                ["samples"] = picked.Count,
                ["unscored"] = report.DroppedTotal,
                ["without_eos"] = generated.Sequences.Count(s => s.FinishReason != FinishReason.Eos),
                ["temperature"] = sampling.Generation.Temperature,
                ["top_p"] = sampling.Generation.TopP,
                ["max_new_tokens"] = sampling.Generation.MaxNewTokens,
                ["seed"] = sampling.Generation.Seed,
                ["max_length"] = model.MaxLength,
            });
        }
        fitted.Write(rewardModelFolder);
        return fitted;
    }
}
