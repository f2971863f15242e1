using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Runtime;
using PrefLab.Serving;
using PrefLab.Tests.Serving;
using PrefLab.Training;

namespace PrefLab.Bench;

/// <summary>
/// <c>preflab serve</c> under load: 32 concurrent OpenAI clients (the official .NET client) x 20 chat completions
/// each, a quarter streamed, greedy and seeded samples mixed (the test suite's <see cref="ChatLoad"/>, there on a
/// tiny model), of at most <c>max_tokens</c> new tokens, against a random <c>world-base</c> model (5.1M
/// parameters) on the World tokenizer with its Tulu chat template, one server in this process on loopback.
/// Reports p50/p99 request latency, completion tokens/s and how many sequences shared a batch, for the default
/// batch (32) and for batch 1 (no batching: requests queue one by one). Also writes bench/results/serve.json.
/// </summary>
public sealed class ServeBenchmark(string preset = "world-base", int clients = 32, int requests = 20, int maxTokens = 32) : IBenchmark
{
    public string Name => "serve";
    public string Description => $"preflab serve: {clients} OpenAI clients x {requests} chat completions (max_tokens {maxTokens}) on a random {preset}, batch 32 vs 1";

    public JsonObject Run(BenchContext context)
    {
        using var workspace = BenchWorkspace.Create("serve");
        string folder = Path.Combine(workspace.Root, preset);
        var config = ModelPresets.Create(preset, TokenizerFacts.Read(workspace.Tokenizer));
        using (var model = CausalLM.Create(config, seed: 0))
        {
            model.Save(folder);
            ModelFolder.CopyTokenizerFiles(workspace.Tokenizer, folder);
        }
        var result = new JsonObject
        {
            ["preset"] = preset, ["clients"] = clients, ["requests_per_client"] = requests, ["max_tokens"] = maxTokens,
            ["threads"] = TorchRuntime.Threads, ["machine"] = MachineInfo.Read().ToString(),
        };
        var figures = new JsonObject();
        foreach (int maxBatch in new[] { 32, 1 })
        {
            var (report, batches, rows) = Load(folder, maxBatch).GetAwaiter().GetResult();
            Console.WriteLine($"  max batch {maxBatch,2}: {report}; {rows} sequences in {batches} batches ({(double)rows / Math.Max(batches, 1):F1} a batch)");
            result[$"batch{maxBatch}"] = new JsonObject
            {
                ["requests"] = report.Replies.Count, ["errors"] = report.Errors.Count, ["wall_sec"] = report.WallSeconds,
                ["latency_p50_ms"] = report.LatencyPercentile(50) * 1000, ["latency_p99_ms"] = report.LatencyPercentile(99) * 1000,
                ["completion_tokens"] = report.OutputTokens, ["tokens_per_sec"] = report.TokensPerSecond, ["requests_per_sec"] = report.RequestsPerSecond,
                ["batches"] = batches, ["mean_batch_rows"] = (double)rows / Math.Max(batches, 1),
                ["first_errors"] = new JsonArray(report.Errors.Take(5).Select(e => (JsonNode)e).ToArray()),
            };
            figures[$"serve.tokens_per_sec.batch{maxBatch}"] = report.TokensPerSecond;
            figures[$"serve.latency_p50_ms.batch{maxBatch}"] = report.LatencyPercentile(50) * 1000;
            figures[$"serve.latency_p99_ms.batch{maxBatch}"] = report.LatencyPercentile(99) * 1000;
            figures[$"serve.errors.batch{maxBatch}"] = report.Errors.Count;
        }
        result["figures"] = figures;
        string path = Path.Combine(BenchmarkRunner.ResultsFolder, "serve.json");
        AtomicFile.WriteAllText(path, result.ToJsonString(JsonOptions.Indented) + "\n");
        Console.WriteLine($"  {path}");
        return result;
    }

    async Task<(ChatLoad.Report Report, long Batches, long Rows)> Load(string folder, int maxBatch)
    {
        const string key = "bench-key";
        await using var server = await PreflabServer.StartAsync(new ServeOptions
        {
            Models = [folder], Port = 0, ApiKey = key, MaxBatch = maxBatch, MaxTokensLimit = maxTokens,
        }, TorchRuntime.Threads);
        var load = new ChatLoad(server.Url + "/v1", key, Path.GetFileName(folder), "what is the capital of france ?", maxTokens);
        await load.Run(4, 2); // warm-up
        long batches = server.Loop.Batches, rows = server.Loop.BatchedRows;
        var report = await load.Run(clients, requests);
        return (report, server.Loop.Batches - batches, server.Loop.BatchedRows - rows);
    }
}
