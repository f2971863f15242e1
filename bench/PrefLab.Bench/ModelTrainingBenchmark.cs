using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Presets;
using TorchSharp;
using static TorchSharp.torch;

namespace PrefLab.Bench;

/// <summary>
/// Forward + backward throughput of a preset model (causal LM loss on random tokens, fp32): tokens/s and MFU.
/// Model FLOPs per token = 6 N + 12 L d_attn T (Kaplan/PaLM: N = non-embedding parameters plus the output
/// projection, the attention term counts the T x T products of every layer); MFU is over the measured fp32 peak.
/// The optimizer step is not included.
/// </summary>
public sealed class ModelTrainingBenchmark : IBenchmark
{
    readonly string preset;
    readonly int batch, length, vocab;
    readonly bool bf16;

    /// <param name="bf16">bfloat16 matrix products over float32 master weights (the training commands' <c>--precision bf16</c>).</param>
    public ModelTrainingBenchmark(string preset, int batch = 8, int length = 256, int vocab = 512, bool bf16 = false)
    {
        this.preset = preset;
        this.bf16 = bf16;
        this.batch = batch;
        this.length = length;
        this.vocab = vocab;
    }

    public string Name => $"train-{preset}{(length == 256 && vocab == 512 || length == 128 && vocab == 2048 ? "" : $"-{length}x{vocab}")}{(bf16 ? "-bf16" : "")}";
    public string Description => $"forward+backward tokens/s and MFU of {preset} (vocab {vocab}), batch {batch} x seq {length}, {(bf16 ? "bf16 products" : "fp32")}";

    public JsonObject Run(BenchContext context)
    {
        var config = ModelPresets.Create(preset, new TokenizerFacts(vocab, 1, 2, 0));
        using var model = CausalLM.Create(config, seed: 0, Models.Layers.ComputePrecision.Of(bf16 ? Models.Layers.LinearPrecision.Bf16 : Models.Layers.LinearPrecision.Fp32));
        long matmulParameters = model.NonEmbeddingParameterCount + (long)config.VocabSize * config.HiddenSize;
        double flopsPerToken = 6.0 * matmulParameters + 12.0 * config.NumLayers * config.NumHeads * config.HeadDim * length;
        var generator = new Generator(0);
        using var ids = randint(0, vocab, new long[] { batch, length + 1 }, dtype: ScalarType.Int64, generator: generator);
        using var inputs = ids.narrow(1, 0, length);
        using var labels = ids.narrow(1, 1, length);

        double Step()
        {
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var logits = model.forward(inputs);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1));
            loss.backward();
            model.zero_grad();
            return clock.Elapsed.TotalSeconds;
        }

        Step(); // warm-up
        var seconds = new List<double>();
        var total = Stopwatch.StartNew();
        while (seconds.Count < 3 || (seconds.Count < 20 && total.Elapsed.TotalSeconds < 20)) seconds.Add(Step());
        seconds.Sort();
        double best = seconds[0], median = seconds[seconds.Count / 2];
        double tokens = (double)batch * length;
        double peak = context.Fp32PeakGflops;
        var result = new JsonObject
        {
            ["parameters"] = model.ParameterCount,
            ["non_embedding_parameters"] = model.NonEmbeddingParameterCount,
            ["batch"] = batch,
            ["seq"] = length,
            ["steps"] = seconds.Count,
            ["tokens_per_sec_best"] = tokens / best,
            ["tokens_per_sec_median"] = tokens / median,
            ["model_gflops_per_step"] = flopsPerToken * tokens / 1e9,
            ["mfu_best"] = context.Mfu(flopsPerToken * tokens / best),
            ["mfu_median"] = context.Mfu(flopsPerToken * tokens / median),
            ["fp32_peak_gflops"] = peak,
        };
        Console.WriteLine($"  {preset}: {model.ParameterCount:N0} parameters, {seconds.Count} steps; " +
            $"{tokens / median:F0} tokens/s median ({tokens / best:F0} best), MFU {context.Mfu(flopsPerToken * tokens / median):P1} median " +
            $"({context.Mfu(flopsPerToken * tokens / best):P1} best) of {peak:F0} GFLOP/s");
        return result;
    }
}
