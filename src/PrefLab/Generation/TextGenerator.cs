using System.Diagnostics;
using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Models.Config;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text;

namespace PrefLab.Generation;

/// <summary>
/// Batched generation from a causal LM: prompts are sorted by length (longest first), cut into batches of
/// <see cref="GenerationOptions.BatchSize"/>, each batch left-padded and decoded through a KV cache; results
/// come back in input order. See <see cref="GeneratedSequence"/> for what each sequence holds and
/// <see cref="ResponseBatch"/> for the padded tensors.
///
/// Log-probs: each token's log_softmax(logits / T) at the step that produced it, T the sampling temperature (1
/// when greedy), computed by <c>TokenLogProbs.Gather</c> on the step's logits BEFORE EOS suppression, top-k and
/// top-p: the value a training forward over prompt + response gives at the same T. With top-k, top-p or
/// min_new_tokens the tokens are drawn from a truncated distribution, so the behaviour policy differs from the
/// one these log-probs describe (PPO's importance ratio then is off on the first minibatch); the paper's PPO
/// recipe uses none of them (temperature 0.7 only).
/// </summary>
public sealed class TextGenerator
{
    /// <param name="model">The policy; not modified. Dropout does not exist in PrefLab models.</param>
    /// <param name="padId">The id in padding slots of the prompt batch and of <see cref="ResponseBatch"/>.</param>
    /// <param name="eosIds">Any of these ends a sequence (may be empty: sequences then run to the length limit).</param>
    /// <param name="tokenizer">For texts and stop strings; null gives null texts and refuses stop strings.</param>
    public TextGenerator(CausalLM model, int padId, IReadOnlyList<int> eosIds, ITokenizer? tokenizer = null)
    {
        Model = model;
        PadId = padId;
        EosIds = eosIds.Distinct().ToArray();
        Tokenizer = tokenizer;
        foreach (int id in EosIds.Append(padId))
            if (id < 0 || id >= model.Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(eosIds), $"token id {id} is outside the model's vocabulary of {model.Config.VocabSize}");
    }

    /// <summary>A generator with the folder's conventions: EOS ids from generation_config.json (else config.json,
    /// else the tokenizer), the tokenizer's pad id (else EOS, else 0).</summary>
    public static TextGenerator For(CausalLM model, ITokenizer tokenizer) =>
        new(model, GenerationDefaults.PadId(tokenizer), GenerationDefaults.EosIds(model, tokenizer), tokenizer);

    public CausalLM Model { get; }
    public int PadId { get; }
    public IReadOnlyList<int> EosIds { get; }
    public ITokenizer? Tokenizer { get; }

    /// <summary>Generates a continuation of each prompt (token ids, used as given: no BOS is added).</summary>
    /// <param name="onPromptsDone">Called after each batch with the number of prompts it finished.</param>
    public GenerationResult Generate(IReadOnlyList<int[]> promptIds, GenerationOptions options, Action<int>? onPromptsDone = null) =>
        Generate(promptIds.Select(ids => new PromptRequest(ids)).ToList(), options, onPromptsDone);

    /// <summary>Generates a continuation of each prompt, with per-sequence seeds, sampling keys, length limits and
    /// stop strings where a <see cref="PromptRequest"/> sets them (the server's batches). <paramref name="onToken"/>
    /// hears each token as it is made, and each sequence's end (called on this thread).</summary>
    public GenerationResult Generate(IReadOnlyList<PromptRequest> prompts, GenerationOptions options, Action<int>? onPromptsDone = null,
        Action<GeneratedToken>? onToken = null)
    {
        TorchRuntime.EnsureLoaded();
        options.Validate();
        foreach (var prompt in prompts)
        {
            if (prompt.MaxNewTokens is int m && m < 1) throw UserError.InOption("max-new-tokens", $"must be at least 1, not {m}");
            if ((prompt.StopStrings ?? options.StopStrings).Any(string.IsNullOrEmpty)) throw UserError.InOption("stop", "a stop string must not be empty");
        }
        if (prompts.Any(p => (p.StopStrings ?? options.StopStrings).Count > 0) && Tokenizer is null)
            throw new ArgumentException("stop strings need a tokenizer to decode the generated text", nameof(options));
        Check(prompts, options);
        var clock = Stopwatch.StartNew();
        var results = new GeneratedSequence[prompts.Count];
        // Longest first (a batch that does not fit shows at once); ties keep input order.
        var order = Enumerable.Range(0, prompts.Count).OrderByDescending(i => prompts[i].Ids.Length).ThenBy(i => i).ToArray();
        var decoder = new BatchDecoder(Model, options, EosIds, PadId, Tokenizer);
        foreach (var chunk in order.Chunk(options.BatchSize))
        {
            var sequences = decoder.Run(chunk.Select(i => (i, prompts[i])).ToList(), onToken);
            for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = sequences[j];
            onPromptsDone?.Invoke(chunk.Length);
        }
        return new GenerationResult(results, PadId, options.LogProbTemperature, clock.Elapsed);
    }

    /// <summary>Chat prompts (conversations ending with a user turn), each rendered with the chat format and the
    /// assistant header (<see cref="ChatTokenizer.Prompt"/>), then generated as token ids.</summary>
    public GenerationResult Generate(ChatTokenizer chat, IReadOnlyList<IReadOnlyList<Message>> prompts, GenerationOptions options,
        Action<int>? onPromptsDone = null) =>
        Generate(prompts.Select(chat.Prompt).ToList(), options, onPromptsDone);

    void Check(IReadOnlyList<PromptRequest> prompts, GenerationOptions options)
    {
        int vocab = Model.Config.VocabSize;
        for (int i = 0; i < prompts.Count; i++)
        {
            var ids = prompts[i]?.Ids ?? throw new ArgumentException($"prompt {i} is null", nameof(prompts));
            if (ids.Length == 0) throw new ArgumentException($"prompt {i} has no tokens (give at least a BOS)", nameof(prompts));
            foreach (int id in ids)
                if (id < 0 || id >= vocab)
                    throw new ArgumentOutOfRangeException(nameof(prompts), $"prompt {i}: token id {id} is outside the model's vocabulary of {vocab}");
            // Learned position embeddings end; rotary ones extrapolate (Hugging Face only warns there).
            int maxNew = prompts[i].MaxNewTokens ?? options.MaxNewTokens;
            if (Model.Config is Gpt2Config && ids.Length + maxNew > Model.Config.MaxPositionEmbeddings)
                throw new UserError($"prompt {i}: {ids.Length} tokens + --max-new-tokens {maxNew} exceed the model's " +
                    $"{Model.Config.MaxPositionEmbeddings} positions");
        }
    }
}

/// <summary>The one-call form: <c>TextGeneration.Generate(model, promptIds, options, padId, eosIds, tokenizer)</c>.</summary>
public static class TextGeneration
{
    public static GenerationResult Generate(CausalLM model, IReadOnlyList<int[]> promptIds, GenerationOptions options, int padId,
        IReadOnlyList<int> eosIds, ITokenizer? tokenizer = null, Action<int>? onPromptsDone = null) =>
        new TextGenerator(model, padId, eosIds, tokenizer).Generate(promptIds, options, onPromptsDone);
}
