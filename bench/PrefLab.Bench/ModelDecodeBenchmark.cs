using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Presets;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// Raw greedy decoding through the model API (no sampling or stopping logic: that is Generation's), with the
/// KV cache and by recomputing the whole sequence each step: new tokens/s for batch 1 and 32, a 16-token
/// prompt, 64 new tokens.
/// </summary>
public sealed class ModelDecodeBenchmark : IBenchmark
{
    readonly string preset;
    const int Prompt = 16, NewTokens = 64, Vocab = 512;

    public ModelDecodeBenchmark(string preset) => this.preset = preset;

    public string Name => $"decode-{preset}";
    public string Description => $"greedy decode tokens/s of {preset} with and without the KV cache, batch 1 and 32, {NewTokens} new tokens";

    public JsonObject Run(BenchContext context)
    {
        var config = ModelPresets.Create(preset, new TokenizerFacts(Vocab, 1, 2, 0));
        using var model = CausalLM.Create(config, seed: 0);
        using var noGrad = no_grad();
        var result = new JsonObject();
        foreach (int batch in new[] { 1, 32 })
        {
            using var prompt = randint(0, Vocab, new long[] { batch, Prompt }, dtype: ScalarType.Int64, generator: new Generator(1));
            double cached = TokensPerSecond(batch, () => DecodeCached(model, prompt));
            double uncached = TokensPerSecond(batch, () => DecodeUncached(model, prompt));
            Console.WriteLine($"  {preset} batch {batch,2}: {cached,8:F0} tokens/s with the cache, {uncached,8:F0} without");
            result[$"batch{batch}"] = new JsonObject { ["cached_tokens_per_sec"] = cached, ["uncached_tokens_per_sec"] = uncached };
        }
        return result;
    }

    static double TokensPerSecond(int batch, Action decode)
    {
        decode(); // warm-up
        var clock = Stopwatch.StartNew();
        decode();
        return batch * NewTokens / clock.Elapsed.TotalSeconds;
    }

    static void DecodeCached(CausalLM model, Tensor prompt)
    {
        using var scope = NewDisposeScope();
        using var cache = model.NewCache();
        var hidden = model.HiddenStates(prompt, cache: cache);
        var next = model.ProjectToVocab(hidden.select(1, -1)).argmax(-1, keepdim: true); // [B, 1]
        for (int step = 1; step < NewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var logits = model.forward(next, cache: cache);
            next = logits.select(1, -1).argmax(-1, keepdim: true).MoveToOuterDisposeScope();
        }
    }

    static void DecodeUncached(CausalLM model, Tensor prompt)
    {
        using var scope = NewDisposeScope();
        var sequence = prompt;
        for (int step = 0; step < NewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var hidden = model.HiddenStates(sequence);
            var next = model.ProjectToVocab(hidden.select(1, -1)).argmax(-1, keepdim: true);
            sequence = cat(new[] { sequence, next }, 1).MoveToOuterDisposeScope();
        }
    }
}
