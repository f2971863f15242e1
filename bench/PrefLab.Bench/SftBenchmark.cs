using System.Text.Json.Nodes;
using PrefLab.Algorithms.Sft;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime.Console;
using PrefLab.Training;
using PrefLab.World;

namespace PrefLab.Bench;

/// <summary>
/// The <c>sft</c> trainer end to end (forward, backward, clipping, AdamW) on the small Preference World's SFT
/// conversations, padded (batches of <see cref="PaddedBatch"/> examples, length-bucketed as the trainer does by
/// default, and in random order as TRL does) and packed (rows of <see cref="RowLength"/> tokens, batch
/// <see cref="PackedBatch"/>, about the same tokens per step): tokens/s of
/// real (non-pad) tokens, the median over steps after a warm-up, and MFU. Model FLOPs per real token are
/// 6 N + 12 L d_attn T with N the matrix parameters (output projection included) and T = sum(n^2)/sum(n) over the
/// examples' lengths n — the attention an example needs alone, so padding or masked-out packed keys count as waste.
/// </summary>
public sealed class SftBenchmark : IBenchmark
{
    readonly string preset;
    readonly int steps;
    const int PaddedBatch = 32, PackedBatch = 4, RowLength = 256, WarmupSteps = 2;

    public SftBenchmark(string preset, int steps)
    {
        this.preset = preset;
        this.steps = steps;
    }

    public string Name => $"sft-{preset}";
    public string Description => $"`sft` of {preset} on World conversations: real tokens/s and MFU, padded (batch {PaddedBatch}, bucketed or not) vs packed (rows of {RowLength}, batch {PackedBatch})";

    public JsonObject Run(BenchContext context)
    {
        ProgressReporter.Quiet = true;
        var workspace = BenchWorkspace.Create("sft");
        string root = workspace.Root;
        try
        {
            string world = workspace.World;
            string tokenizer = workspace.Tokenizer;
            var config = ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
            string start = Path.Combine(root, "model");
            long matmulParameters;
            using (var model = CausalLM.Create(config, seed: 1))
            {
                model.Save(start);
                matmulParameters = model.NonEmbeddingParameterCount + (long)config.VocabSize * config.HiddenSize;
            }
            ModelFolder.CopyTokenizerFiles(tokenizer, start);

            var result = new JsonObject { ["preset"] = preset, ["steps"] = steps, ["row_length"] = RowLength };
            double? attentionLength = null;
            foreach (var (label, pack, bucket) in new[] { ("padded", false, true), ("padded_unbucketed", false, false), ("packed", true, true) })
            {
                string output = Path.Combine(root, label);
                SftJob.Run(new SftJobOptions
                {
                    Mode = LanguageModelingMode.Sft, Model = start, Data = Path.Combine(world, "sft.jsonl"), Output = output,
                    MaxLength = RowLength, Pack = pack,
                    Training = new TrainingOptions { MaxSteps = steps, BatchSize = pack ? PackedBatch : PaddedBatch, Lr = 2e-5, Seed = 1, BucketByLength = bucket },
                });
                attentionLength ??= AttentionLength(Path.Combine(world, "sft.jsonl"), tokenizer);
                double flopsPerToken = 6.0 * matmulParameters + 12.0 * config.NumLayers * config.NumHeads * config.HeadDim * attentionLength.Value;
                var rates = File.ReadLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
                    .Where(m => m["tokens_per_sec"] is not null).Skip(WarmupSteps)
                    .Select(m => m["tokens_per_sec"]!.GetValue<double>()).Order().ToList();
                double median = rates[rates.Count / 2], best = rates[^1];
                var train = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!["data"]!["train"]!;
                var entry = new JsonObject
                {
                    ["batch_size"] = pack ? PackedBatch : PaddedBatch,
                    ["tokens_per_sec_median"] = median,
                    ["tokens_per_sec_best"] = best,
                    ["mfu_median"] = context.Mfu(flopsPerToken * median),
                    ["mfu_best"] = context.Mfu(flopsPerToken * best),
                    ["model_flops_per_token"] = flopsPerToken,
                };
                if (pack) entry["packing"] = train["packing"]!.DeepClone();
                result[label] = entry;
                Console.WriteLine($"  {preset} {label}: {median:F0} tokens/s median ({best:F0} best), " +
                    $"MFU {context.Mfu(flopsPerToken * median):P1} median of {context.Fp32PeakGflops:F0} GFLOP/s" +
                    (pack ? $"; {train["packing"]!["examples_per_row"]} examples per row, fill {train["packing"]!["fill"]}" : ""));
            }
            result["parameters_matmul"] = matmulParameters;
            result["attention_length"] = attentionLength;
            result["fp32_peak_gflops"] = context.Fp32PeakGflops;
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }

    /// <summary>sum(n^2)/sum(n) over the chat-rendered examples' token counts.</summary>
    static double AttentionLength(string data, string tokenizerFolder)
    {
        var tokenizer = PrefLab.Text.TokenizerLoader.Load(tokenizerFolder);
        var chat = new PrefLab.Data.Collation.ChatTokenizer(tokenizer, PrefLab.Text.Chat.ChatFormats.Resolve(tokenizer, null));
        var report = new PrefLab.Data.Collation.CollationReport();
        double sum = 0, squares = 0;
        foreach (var example in PrefLab.Data.Reading.DatasetReader.ReadSft(data, new PrefLab.Data.Reading.ReadOptions()))
            if (chat.Sft(example, RowLength, PrefLab.Data.Collation.TruncationPolicy.Truncate, report) is { } s)
            {
                sum += s.Length;
                squares += (double)s.Length * s.Length;
            }
        return squares / sum;
    }
}
