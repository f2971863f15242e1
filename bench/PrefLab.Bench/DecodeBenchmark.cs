using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Generation;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// Decode throughput (new tokens/s) of <see cref="TextGenerator"/> on a preset (vocabulary 512), prompts of
/// 16-24 tokens (left padded), 64 new tokens, batch 1 and 32, 1 and 2 LibTorch threads:
/// - cached: greedy generation through the KV cache (prefill included in the time);
/// - model only: the bare cached loop (forward, argmax) without the generator's bookkeeping, for its overhead;
/// - uncached: the same greedy tokens by a full forward over the whole left-padded batch at every step;
/// - finishing rows: sampling with 16 ids counted as EOS (rows end at different steps), finished rows dropped
///   from the cache (the default) or kept and fed the pad id.
/// Best of a few runs; the shared machine makes single runs vary a lot, so the figures are indicative.
/// </summary>
public sealed class DecodeBenchmark : IBenchmark
{
    readonly string preset;
    const int NewTokens = 64, Vocab = 512, Pad = 0;

    public DecodeBenchmark(string preset = "world-base") => this.preset = preset;

    public string Name => "decode";
    public string Description => $"generation tokens/s of {preset} (vocab {Vocab}) with and without the KV cache, batch 1 and 32, {NewTokens} new tokens, 1 and 2 threads";

    public JsonObject Run(BenchContext context)
    {
        var config = ModelPresets.Create(preset, new TokenizerFacts(Vocab, 1, 2, Pad));
        using var model = CausalLM.Create(config, seed: 0);
        int threadsBefore = TorchRuntime.Threads;
        var result = new JsonObject { ["preset"] = preset, ["new_tokens"] = NewTokens };
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                TorchRuntime.SetThreads(threads);
                var byThreads = new JsonObject();
                foreach (int batch in new[] { 1, 32 })
                {
                    var prompts = Prompts(batch);
                    var generator = new TextGenerator(model, Pad, Array.Empty<int>());
                    double cached = Best(batch * NewTokens, 3, () => generator.Generate(prompts, GenerationOptions.Greedy(NewTokens) with { BatchSize = batch }));
                    double bare = Best(batch * NewTokens, 3, () => ModelOnly(model, prompts));
                    double uncached = Best(batch * NewTokens, batch == 1 ? 2 : 1, () => Uncached(model, prompts), warmUp: false);
                    var finishing = new TextGenerator(model, Pad, Enumerable.Range(100, 16).ToArray());
                    var sampling = new GenerationOptions { MaxNewTokens = NewTokens, BatchSize = batch, Seed = 1 };
                    long finishedTokens = finishing.Generate(prompts, sampling).GeneratedTokens;
                    double dropped = Best(finishedTokens, 3, () => finishing.Generate(prompts, sampling));
                    double kept = Best(finishedTokens, 3, () => finishing.Generate(prompts, sampling with { DropFinishedRows = false }));
                    Console.WriteLine($"  {threads} thread(s), batch {batch,2}: cache {cached,7:F0} tok/s (model only {bare,7:F0}), no cache {uncached,7:F0} tok/s ({cached / uncached:F1}x); " +
                        $"rows ending early ({finishedTokens} tokens): dropped {dropped,7:F0} tok/s, kept with pad {kept,7:F0} tok/s");
                    byThreads[$"batch{batch}"] = new JsonObject
                    {
                        ["cached_tokens_per_sec"] = cached,
                        ["model_only_cached_tokens_per_sec"] = bare,
                        ["uncached_tokens_per_sec"] = uncached,
                        ["finishing_rows_tokens"] = finishedTokens,
                        ["finishing_rows_dropped_tokens_per_sec"] = dropped,
                        ["finishing_rows_kept_tokens_per_sec"] = kept,
                    };
                }
                result[$"threads{threads}"] = byThreads;
                if (threads == threadsBefore || threads == 2)
                {
                    var batch32 = byThreads["batch32"]!;
                    result["figures"] = new JsonObject
                    {
                        ["kv_speedup"] = batch32["cached_tokens_per_sec"]!.GetValue<double>() / batch32["uncached_tokens_per_sec"]!.GetValue<double>(),
                    };
                }
            }
        }
        finally
        {
            TorchRuntime.SetThreads(threadsBefore);
        }
        return result;
    }

    /// <summary>Prompts of 16-24 random ids (not the specials 0-2).</summary>
    static int[][] Prompts(int batch)
    {
        var random = new Random(batch);
        return Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, random.Next(16, 25)).Select(_ => random.Next(3, Vocab)).ToArray()).ToArray();
    }

    /// <summary>Best tokens/s over <paramref name="runs"/> timed runs (after one warm-up run).</summary>
    static double Best(long tokens, int runs, Action decode, bool warmUp = true)
    {
        if (warmUp) decode();
        double best = double.MaxValue;
        for (int r = 0; r < runs; r++)
        {
            var clock = Stopwatch.StartNew();
            decode();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return tokens / best;
    }

    /// <summary>The bare cached loop: a left-padded prefill, then forward and argmax per token (no sampling,
    /// stopping or log-probs).</summary>
    static void ModelOnly(CausalLM model, int[][] prompts)
    {
        var (ids, mask) = LeftPadded(prompts);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var cache = model.NewCache();
        var sequenceIds = tensor(ids);
        var attention = tensor(mask);
        var real = ones(prompts.Length, 1, dtype: ScalarType.Int64); // [B, 1]
        var next = model.ProjectToVocab(model.HiddenStates(sequenceIds, attention, cache: cache).select(1, -1)).argmax(-1, keepdim: true);
        for (int step = 1; step < NewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            attention = cat(new[] { attention, real }, 1).MoveToOuterDisposeScope();
            var hidden = model.HiddenStates(next, attention, cache: cache);                            // [B, 1, H]
            next = model.ProjectToVocab(hidden.select(1, -1)).argmax(-1, keepdim: true).MoveToOuterDisposeScope();
        }
    }

    static (long[,] Ids, long[,] Mask) LeftPadded(int[][] prompts)
    {
        int longest = prompts.Max(p => p.Length);
        var ids = new long[prompts.Length, longest];
        var mask = new long[prompts.Length, longest];
        for (int b = 0; b < prompts.Length; b++)
            for (int t = 0; t < prompts[b].Length; t++)
            {
                ids[b, longest - prompts[b].Length + t] = prompts[b][t];
                mask[b, longest - prompts[b].Length + t] = 1;
            }
        return (ids, mask);
    }

    /// <summary>Greedy decoding with no cache: the whole left-padded batch recomputed for every new token.</summary>
    static void Uncached(CausalLM model, int[][] prompts)
    {
        var (ids, mask) = LeftPadded(prompts);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sequence = tensor(ids);
        var attention = tensor(mask);
        var real = ones(prompts.Length, 1, dtype: ScalarType.Int64); // [B, 1]
        for (int step = 0; step < NewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var hidden = model.HiddenStates(sequence, attention);                                       // [B, T, H]
            var next = model.ProjectToVocab(hidden.select(1, -1)).argmax(-1, keepdim: true);         // [B, 1]
            sequence = cat(new[] { sequence, next }, 1).MoveToOuterDisposeScope();
            attention = cat(new[] { attention, real }, 1).MoveToOuterDisposeScope();
        }
    }
}
