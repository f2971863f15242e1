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

    public BatchDecoder(CausalLM model, GenerationOptions options, IReadOnlyList<int> eosIds, int padId, ITokenizer? tokenizer)
    {
        this.model = model;
        this.options = options;
        this.eosIds = eosIds;
        eosSet = eosIds.ToHashSet();
        this.padId = padId;
        this.tokenizer = tokenizer;
    }

    sealed class Row(int index, PromptRequest request, long padding, GenerationOptions options)
    {
        public readonly int Index = index;          // position in the call's prompt list
        public readonly int[] Prompt = request.Ids;
        public readonly long Padding = padding;     // left padding in the batch
        public readonly SamplingStream Stream = new(request.Seed ?? options.Seed);
        public readonly long SamplingKey = request.SamplingKey ?? index;
        public readonly int MaxNewTokens = request.MaxNewTokens ?? options.MaxNewTokens;
        public readonly IReadOnlyList<string> StopStrings = request.StopStrings ?? options.StopStrings;
        public readonly List<int> Tokens = new();
        public readonly List<float> LogProbs = new();
        public readonly List<TopLogProb[]>? Top = options.TopLogProbs > 0 ? new() : null;
        public FinishReason? Finish;
        public string? Stop;
        public string? Text;
        public GeneratedSequence? Sequence;
    }

    /// <summary>Generates for <paramref name="prompts"/> (index in the call, request); results in the same order.
    /// <paramref name="onToken"/> hears every new token at the step that made it, and a row's end with it.</summary>
    public GeneratedSequence[] Run(IReadOnlyList<(int Index, PromptRequest Request)> prompts, Action<GeneratedToken>? onToken = null)
    {
        int longest = prompts.Max(p => p.Request.Ids.Length);
        var rows = prompts.Select(p => new Row(p.Index, p.Request, longest - p.Request.Ids.Length, options)).ToArray();
        var live = rows.ToList(); // rows in the cache, in cache order
        int steps = rows.Max(r => r.MaxNewTokens);
        using var noGrad = no_grad();
        using var cache = model.NewCache();
        for (int step = 0; step < steps && live.Any(r => r.Finish is null); step++)
        {
            using var scope = NewDisposeScope();
            var logits = step == 0 ? Prefill(rows, longest, cache) : DecodeStep(live, longest + step, step, cache); // [A, V]
            var (tokens, logProbs, top) = Choose(logits, live, step);
            var finishedNow = new List<Row>();
            for (int i = 0; i < live.Count; i++)
            {
                var row = live[i];
                if (row.Finish is not null) continue; // kept with pad (DropFinishedRows off)
                row.Tokens.Add((int)tokens[i]);
                row.LogProbs.Add(logProbs[i]);
                row.Top?.Add(top![i]);
                Check(row);
                if (row.Finish is not null)
                {
                    finishedNow.Add(row);
                    Complete(row);
                }
                onToken?.Invoke(new GeneratedToken(row.Index, (int)tokens[i], logProbs[i], top?[i], row.Sequence));
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
            Complete(row);
        }
        return rows.Select(r => r.Sequence!).ToArray();
    }

    void Complete(Row row)
    {
        if (row.Sequence is not null) return;
        row.Text ??= tokenizer?.Decode(row.Tokens, options.SkipSpecialTokens);
        row.Sequence = new GeneratedSequence(row.Prompt, row.Tokens.ToArray(), row.LogProbs.ToArray(), row.Text, row.Finish!.Value, row.Stop)
        {
            TopLogProbs = row.Top?.ToArray(),
        };
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

    /// <summary>The next token of every live row and its log-prob under log_softmax(logits / T), untruncated; with
    /// <see cref="GenerationOptions.TopLogProbs"/>, each row's most likely tokens under the same distribution.</summary>
    (long[] Tokens, float[] LogProbs, TopLogProb[][]? Top) Choose(Tensor logits, List<Row> live, int step)
    {
        var scores = LogitsProcessors.Apply(logits, options, eosIds, suppressEos: step < options.MinNewTokens);
        Tensor tokens;
        if (options.IsGreedy)
        {
            tokens = TokenSampler.Greedy(scores);
        }
        else
        {
            var uniforms = live.Select(r => r.Stream.Uniform(r.SamplingKey, step)).ToArray();
            tokens = TokenSampler.Sample(scores, tensor(uniforms));
        }
        var logProbs = TokenLogProbs.Gather(logits.unsqueeze(1), tokens.unsqueeze(1), options.LogProbTemperature).squeeze(1); // [A]
        return (tokens.data<long>().ToArray(), logProbs.to_type(ScalarType.Float32).data<float>().ToArray(), Top(logits));
    }

    TopLogProb[][]? Top(Tensor logits)
    {
        int k = (int)Math.Min(options.TopLogProbs, logits.shape[^1]);
        if (k == 0) return null;
        var z = logits.to_type(ScalarType.Float32);
        if (options.LogProbTemperature != 1.0) z = z.div(options.LogProbTemperature);
        var (values, ids) = (z - z.logsumexp(-1, keepdim: true)).topk(k, -1);                   // [A, k] each
        var v = values.contiguous().data<float>().ToArray();
        var i = ids.contiguous().data<long>().ToArray();
        return Enumerable.Range(0, (int)values.shape[0])
            .Select(r => Enumerable.Range(0, k).Select(j => new TopLogProb((int)i[r * k + j], v[r * k + j])).ToArray()).ToArray();
    }

    void Check(Row row)
    {
        if (eosSet.Contains(row.Tokens[^1]))
        {
            row.Finish = FinishReason.Eos;
            return;
        }
        if (row.StopStrings.Count > 0)
        {
            string text = tokenizer!.Decode(row.Tokens, options.SkipSpecialTokens);
            if (StopStrings.FindEarliest(text, row.StopStrings) is var (stop, index))
            {
                row.Finish = FinishReason.StopString;
                row.Stop = stop;
                row.Text = text[..index];
                return;
            }
        }
        if (row.Tokens.Count >= row.MaxNewTokens) row.Finish = FinishReason.Length;
    }
}
