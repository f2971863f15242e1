using PrefLab.Models.LogProbs;
using PrefLab.Models;
using PrefLab.Text;
using static TorchSharp.torch;

namespace PrefLab.Generation;

/// <summary>
/// Decodes one batch of prompts: a left-padded prefill of the whole batch through a fresh KV cache, then one
/// token per step for the unfinished rows. Positions: the prefill derives them from the mask (a left-padded
/// row's first real token is position 0, as Hugging Face's generate); the token fed at step s (the one generated
/// at step s-1) of a prompt of n tokens is at position n + s - 1. The attention mask covers [past + 1] keys, 0 on
/// a row's left padding; it is omitted when no unfinished row is padded. Each step runs in its own dispose scope
/// under no_grad; nothing but the cache lives across steps, and the cache is disposed at the end.
/// </summary>
internal sealed class BatchDecoder
{
    readonly CausalLM model;
    readonly GenerationOptions options;
    readonly IReadOnlyList<int> eosIds;
    readonly HashSet<int> eosSet;
    readonly int padId;
    readonly ITokenizer? tokenizer;
    readonly SamplingStream stream;

    public BatchDecoder(CausalLM model, GenerationOptions options, IReadOnlyList<int> eosIds, int padId, ITokenizer? tokenizer)
    {
        this.model = model;
        this.options = options;
        this.eosIds = eosIds;
        eosSet = eosIds.ToHashSet();
        this.padId = padId;
        this.tokenizer = tokenizer;
        stream = new SamplingStream(options.Seed);
    }

    sealed class Row(int index, int[] prompt, long padding)
    {
        public readonly int Index = index;          // position in the call's prompt list: the sampling key
        public readonly int[] Prompt = prompt;
        public readonly long Padding = padding;     // left padding in the batch
        public readonly List<int> Tokens = new();
        public readonly List<float> LogProbs = new();
        public FinishReason? Finish;
        public string? Stop;
        public string? Text;
    }

    /// <summary>Generates for <paramref name="prompts"/> (index in the call, ids); results in the same order.</summary>
    public GeneratedSequence[] Run(IReadOnlyList<(int Index, int[] Ids)> prompts)
    {
        int longest = prompts.Max(p => p.Ids.Length);
        var rows = prompts.Select(p => new Row(p.Index, p.Ids, longest - p.Ids.Length)).ToArray();
        var live = rows.ToList(); // rows in the cache, in cache order
        using var noGrad = no_grad();
        using var cache = model.NewCache();
        for (int step = 0; step < options.MaxNewTokens && live.Any(r => r.Finish is null); step++)
        {
            using var scope = NewDisposeScope();
            var logits = step == 0 ? Prefill(rows, longest, cache) : DecodeStep(live, longest + step, step, cache); // [A, V]
            var (tokens, logProbs) = Choose(logits, live, step);
            var finishedNow = new List<Row>();
            for (int i = 0; i < live.Count; i++)
            {
                var row = live[i];
                if (row.Finish is not null) continue; // kept with pad (DropFinishedRows off)
                row.Tokens.Add((int)tokens[i]);
                row.LogProbs.Add(logProbs[i]);
                Check(row);
                if (row.Finish is not null) finishedNow.Add(row);
            }
            if (finishedNow.Count > 0 && options.DropFinishedRows && live.Any(r => r.Finish is null))
            {
                var keep = Enumerable.Range(0, live.Count).Where(i => live[i].Finish is null).Select(i => (long)i).ToArray();
                cache.SelectRows(tensor(keep));
                live = keep.Select(i => live[(int)i]).ToList();
            }
        }
        foreach (var row in rows)
        {
            row.Finish ??= FinishReason.Length;
            row.Text ??= tokenizer?.Decode(row.Tokens, options.SkipSpecialTokens);
        }
        return rows.Select(r => new GeneratedSequence(r.Prompt, r.Tokens.ToArray(), r.LogProbs.ToArray(), r.Text, r.Finish!.Value, r.Stop)).ToArray();
    }

    /// <summary>The whole left-padded batch at once; the logits of each row's last position. [B, V]</summary>
    Tensor Prefill(Row[] rows, int longest, KvCache cache)
    {
        var ids = new long[rows.Length * longest];
        var mask = new long[rows.Length * longest];
        Array.Fill(ids, padId);
        for (int b = 0; b < rows.Length; b++)
        {
            var row = rows[b];
            for (int t = 0; t < row.Prompt.Length; t++)
            {
                ids[b * longest + row.Padding + t] = row.Prompt[t];
                mask[b * longest + row.Padding + t] = 1;
            }
        }
        var input = tensor(ids, new long[] { rows.Length, longest });                            // [B, P]
        var attention = rows.Any(r => r.Padding > 0) ? tensor(mask, new long[] { rows.Length, longest }) : null;
        var hidden = model.HiddenStates(input, attention, positionIds: null, cache);              // [B, P, H]
        return model.ProjectToVocab(hidden.select(1, -1));                                       // [B, V]
    }

    /// <summary>Feeds each live row's latest token (pad for a finished row kept in the batch). [A, V]</summary>
    Tensor DecodeStep(List<Row> live, long keys, int step, KvCache cache)
    {
        var ids = live.Select(r => r.Finish is null ? (long)r.Tokens[^1] : padId).ToArray();
        var positions = live.Select(r => (long)(r.Prompt.Length + step - 1)).ToArray();
        var input = tensor(ids, new long[] { live.Count, 1 });                                   // [A, 1]
        var positionIds = tensor(positions, new long[] { live.Count, 1 });                       // [A, 1]
        Tensor? attention = null;
        if (live.Any(r => r.Padding > 0))
        {
            var padding = tensor(live.Select(r => r.Padding).ToArray()).unsqueeze(1);             // [A, 1]
            attention = arange(keys, dtype: ScalarType.Int64).unsqueeze(0).ge(padding);          // [A, past + 1]
        }
        var hidden = model.HiddenStates(input, attention, positionIds, cache);                    // [A, 1, H]
        return model.ProjectToVocab(hidden.select(1, -1));                                       // [A, V]
    }

    /// <summary>The next token of every live row and its log-prob under log_softmax(logits / T), untruncated.</summary>
    (long[] Tokens, float[] LogProbs) Choose(Tensor logits, List<Row> live, int step)
    {
        var scores = LogitsProcessors.Apply(logits, options, eosIds, suppressEos: step < options.MinNewTokens);
        Tensor tokens;
        if (options.IsGreedy)
        {
            tokens = TokenSampler.Greedy(scores);
        }
        else
        {
            var uniforms = live.Select(r => stream.Uniform(r.Index, step)).ToArray();
            tokens = TokenSampler.Sample(scores, tensor(uniforms));
        }
        var logProbs = TokenLogProbs.Gather(logits.unsqueeze(1), tokens.unsqueeze(1), options.LogProbTemperature).squeeze(1); // [A]
        return (tokens.data<long>().ToArray(), logProbs.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    void Check(Row row)
    {
        if (eosSet.Contains(row.Tokens[^1]))
        {
            row.Finish = FinishReason.Eos;
            return;
        }
        if (options.StopStrings.Count > 0)
        {
            string text = tokenizer!.Decode(row.Tokens, options.SkipSpecialTokens);
            if (StopStrings.FindEarliest(text, options.StopStrings) is var (stop, index))
            {
                row.Finish = FinishReason.StopString;
                row.Stop = stop;
                row.Text = text[..index];
                return;
            }
        }
        if (row.Tokens.Count >= options.MaxNewTokens) row.Finish = FinishReason.Length;
    }
}
