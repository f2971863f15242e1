using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;
using static TorchSharp.torch;

namespace PrefLab.Rewards;

/// <summary>How a reward model is loaded for scoring.</summary>
public sealed record RewardModelOptions
{
    /// <summary>Longest prompt + response in tokens (null: the model's max_position_embeddings).</summary>
    public int? MaxLength { get; init; }
    /// <summary>Sequences per forward pass.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Chat format name (null: recognised from the folder's tokenizer_config.json).</summary>
    public string? ChatFormat { get; init; }
    /// <summary>Apply the folder's stored <see cref="RewardNormalization"/> in <see cref="RewardModel.Score(IReadOnlyList{string}, IReadOnlyList{string})"/>
    /// (when the folder has one).</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary>
/// A trained reward model ready to score responses — the one scoring API PPO, best-of-N, evaluation and
/// <c>rm score</c> use. A response is scored in the chat format the model was trained with (prompt turns, then
/// the response as the final assistant turn, ending with the EOS the template adds), and the reward is the
/// scalar head's output at the last real token of the sequence. <see cref="Score(IReadOnlyList{string}, IReadOnlyList{string})"/>
/// returns rewards normalised by the folder's <c>reward_normalization.json</c> when it has one (mean 0, std 1
/// on the policy samples it was fitted on); <see cref="ScoreRaw"/> returns the head's raw output.
/// Sequences are scored in batches sorted by length, under no_grad, each batch in its own dispose scope.
/// </summary>
public sealed class RewardModel : IDisposable
{
    RewardModel(string folder, ScalarHeadModel model, ChatTokenizer chat, RewardNormalization? normalization, RewardModelOptions options)
    {
        Folder = folder;
        Model = model;
        Chat = chat;
        Normalization = normalization;
        Options = options;
        MaxLength = options.MaxLength ?? model.Config.MaxPositionEmbeddings;
        if (MaxLength < 2) throw UserError.InOption("max-length", $"must be at least 2, not {MaxLength}");
        if (options.BatchSize < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {options.BatchSize}");
    }

    /// <summary>Loads a <c>*ForSequenceClassification</c> folder with its tokenizer files (and normalisation, if stored).</summary>
    public static RewardModel Load(string folder, RewardModelOptions? options = null)
    {
        TorchRuntime.EnsureLoaded();
        options ??= new RewardModelOptions();
        var tokenizer = TokenizerLoader.Load(folder);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        var normalization = RewardNormalization.Read(folder);
        var model = ScalarHeadModel.Load(folder);
        try
        {
            return new RewardModel(Path.GetFullPath(folder), model, chat, normalization, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string Folder { get; }
    public ScalarHeadModel Model { get; }
    public ChatTokenizer Chat { get; }
    public HfTokenizer Tokenizer => Chat.Tokenizer;
    public RewardModelOptions Options { get; }
    /// <summary>The normalisation stored with the model, or null.</summary>
    public RewardNormalization? Normalization { get; }
    /// <summary>What <see cref="Score(IReadOnlyList{string}, IReadOnlyList{string})"/> applies: the stored normalisation
    /// unless <see cref="RewardModelOptions.Normalize"/> is off, else the identity.</summary>
    public RewardNormalizer Normalizer => Options.Normalize && Normalization is { } n ? n.Normalizer : RewardNormalizer.Identity;
    public bool IsNormalized => Options.Normalize && Normalization is not null;
    public int MaxLength { get; }

    /// <summary>Normalised rewards of single-turn prompts (user text) and their responses.</summary>
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses) =>
        Score(prompts.Select(p => (IReadOnlyList<Message>)[Message.User(p)]).ToList(), responses);

    /// <summary>Normalised rewards of prompts (conversations up to the user turn) and their responses.</summary>
    public double[] Score(IReadOnlyList<IReadOnlyList<Message>> prompts, IReadOnlyList<string> responses)
    {
        var raw = ScoreRaw(prompts, responses);
        var normalizer = Normalizer;
        return raw.Select(normalizer.Apply).ToArray();
    }

    /// <summary>Raw head outputs. A prompt + response longer than <see cref="MaxLength"/> is an error naming it.</summary>
    public double[] ScoreRaw(IReadOnlyList<IReadOnlyList<Message>> prompts, IReadOnlyList<string> responses)
    {
        if (prompts.Count != responses.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {responses.Count} responses");
        var sequences = new TokenizedSequence[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            var report = new CollationReport();
            sequences[i] = Chat.Scored(prompts[i], responses[i], MaxLength, report)
                ?? throw new UserError($"response {i}: prompt + response do not fit the reward model's {MaxLength} tokens ({report})");
        }
        return ScoreSequences(sequences);
    }

    /// <summary>Raw rewards of conversations whose last turn is the response (assistant); null for one that does
    /// not fit <see cref="MaxLength"/> or has no final assistant turn (counted in <paramref name="report"/>).</summary>
    public double?[] TryScoreRaw(IReadOnlyList<IReadOnlyList<Message>> conversations, CollationReport report)
    {
        var sequences = new TokenizedSequence?[conversations.Count];
        for (int i = 0; i < conversations.Count; i++)
        {
            var c = conversations[i];
            if (c.Count == 0 || c[^1].Role != Roles.Assistant)
            {
                report.Drop("no final assistant turn");
                continue;
            }
            sequences[i] = Chat.Scored(c.Take(c.Count - 1).ToList(), c[^1].Content, MaxLength, report);
        }
        var kept = Enumerable.Range(0, sequences.Length).Where(i => sequences[i] is not null).ToList();
        var scores = ScoreSequences(kept.Select(i => sequences[i]!).ToList());
        var result = new double?[conversations.Count];
        for (int k = 0; k < kept.Count; k++) result[kept[k]] = scores[k];
        return result;
    }

    /// <summary>Raw rewards of tokenized sequences, in their order: batched by similar length, right padded.</summary>
    public double[] ScoreSequences(IReadOnlyList<TokenizedSequence> sequences)
    {
        var scores = new double[sequences.Count];
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToArray();
        using var noGrad = no_grad();
        for (int start = 0; start < order.Length; start += Options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var indices = order.Skip(start).Take(Options.BatchSize).ToArray();
            using var batch = Collator.Pad(indices.Select(i => sequences[i]).ToList(), Chat.PadId);
            var values = Model.Scores(batch.InputIds, batch.AttentionMask).to_type(ScalarType.Float64).data<double>().ToArray(); // [b]
            for (int k = 0; k < indices.Length; k++) scores[indices[k]] = values[k];
        }
        return scores;
    }

    /// <summary>
    /// Rewards of token ids already in this model's vocabulary (e.g. PPO's rollouts when policy and reward
    /// model share a tokenizer): [B, T] ids and attention mask (left or right padded) -> [B] rewards at each
    /// row's last real token, normalised unless <paramref name="normalize"/> is false. Runs without gradient.
    /// </summary>
    public Tensor ScoreTokens(Tensor inputIds, Tensor attentionMask, bool normalize = true)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var raw = Model.Scores(inputIds, attentionMask);                 // [B]
        var result = normalize ? Normalizer.Apply(raw) : raw;
        return result.detach().MoveToOuterDisposeScope();
    }

    public void Dispose() => Model.Dispose();
}
