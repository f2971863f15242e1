using System.Text.Json.Nodes;
using PrefLab.Algorithms.Sft;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Text;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Sft;

/// <summary>SFT packing changes how examples share rows, not the objective: a packed batch's loss and gradients
/// equal the padded batch's over the same examples; without segment ids they do not (negative control).</summary>
public class SftPackingTests
{
    static readonly string[] Questions =
    {
        "what is the capital of france ?",
        "what is the capital of france ? what is the capital of france ?",
        "what ?",
        "the capital of france is what ?",
    };
    static readonly string[] Answers = { "paris .", "paris is the capital of france .", "france .", "paris . paris . paris ." };

    static (double Loss, double Weight, List<Tensor> Grads) Step(CausalLM model, IReadOnlyList<TokenizedSequence> rows)
    {
        var objective = new SftObjective(model, rows, Array.Empty<TokenizedSequence>(), padId: 0, evalBatchSize: 8, save: _ => { });
        var all = Enumerable.Range(0, rows.Count).ToList();
        model.zero_grad();
        using var scope = NewDisposeScope();
        var result = objective.Compute(all);
        result.LossSum.backward();
        double loss = result.LossSum.to_type(ScalarType.Float64).item<double>();
        var grads = model.parameters().Select(p => p.grad!.clone().MoveToOuterDisposeScope()).ToList();
        return (loss, objective.Weight(all), grads);
    }

    /// <summary>Prompt/completion sequences of random ids (ids below 40, inside every fixture model's vocabulary), 4 to 19 tokens,
    /// the completion being the second half.</summary>
    static List<TokenizedSequence> RandomSequences(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int length = random.Next(4, 20);
            var ids = Enumerable.Range(0, length).Select(_ => random.Next(3, 40)).ToArray();
            return new TokenizedSequence(ids, Enumerable.Range(0, length).Select(t => t >= length / 2).ToArray());
        }).ToList();
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("gpt2")]
    public void A_packed_batch_has_the_loss_and_gradients_of_the_padded_batch(string architecture)
    {
        // The fixture models (trained-scale weights, unlike a fresh init whose attention barely depends on context)
        // make the negative control meaningful; Mistral's window of 4 is crossed inside the longer examples.
        var sequences = RandomSequences(12, seed: 11);
        var rows = SequencePacker.Pack(sequences, 32, out var report); // GPT-2's n_positions is 32
        Assert.True(rows.Count <= sequences.Count / 2, $"{rows.Count} rows for {sequences.Count} examples");
        Assert.Equal(sequences.Count, report.Examples);

        using var model = CausalLM.Load(PrefLab.Tests.Models.ModelFixtures.Folder(architecture));
        var padded = Step(model, sequences);
        var packed = Step(model, rows);
        Assert.Equal(padded.Weight, packed.Weight);
        Assert.True(Math.Abs(packed.Loss - padded.Loss) <= 1e-5 * Math.Abs(padded.Loss), $"loss {packed.Loss} vs {padded.Loss}");
        // fp32 sums in another order: each gradient within 1e-5 of its own largest entry.
        for (int k = 0; k < padded.Grads.Count; k++)
        {
            double difference = (packed.Grads[k] - padded.Grads[k]).abs().max().item<float>();
            double scale = padded.Grads[k].abs().max().item<float>();
            Assert.True(difference <= 1e-5 * scale + 1e-8, $"gradient {k}: differs by {difference}, largest entry {scale}");
        }

        // Negative control: the same rows without segment ids let examples attend to the ones before them.
        var leaky = rows.Select(r => r with { Segments = null }).ToList();
        var mixed = Step(model, leaky);
        // (Measured: 0.2-0.3 % off on these fixtures, two orders above the tolerance of the equality.)
        Assert.True(Math.Abs(mixed.Loss - padded.Loss) > 1e-3 * Math.Abs(padded.Loss), $"without segment ids: loss {mixed.Loss} vs padded {padded.Loss}");
    }

    [Fact]
    public void Live_tensor_count_is_flat_across_packed_steps()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(PrefLab.Tests.Models.ModelFixtures.Folder("mistral"));
        var rows = SequencePacker.Pack(RandomSequences(60, seed: 4), 32, out _);
        var objective = new SftObjective(model, rows, rows.Take(4).ToList(), padId: 0, evalBatchSize: 4, save: _ => { });
        var options = new PrefLab.Training.TrainingOptions { Lr = 1e-3, BatchSize = 2, GradAccum = 2, MaxSteps = 40, Seed = 1, EvalEvery = 10 };
        var run = PrefLab.Training.RunDirectory.Start(dir.File("run"), "sft", new Dictionary<string, object?>(), options.Seed, resume: false);
        var counts = new Dictionary<long, long>();
        new PrefLab.Training.Trainer(objective, options, run, new PrefLab.Training.MetricsLogger(run, false, null), "sft")
        {
            AfterStep = s => counts[s] = PrefLab.Runtime.LiveTensors.Count,
        }.Run();
        Assert.Equal(counts[5], counts[40]);
        Assert.Equal(counts[15], counts[35]);
    }

    [Fact]
    public void Sft_with_pack_reports_the_packing_and_starts_from_the_padded_runs_loss()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliAppTests.Run("init-model", "--preset", "tiny-test", "--tokenizer", TokenizerFixtures.Folder("world"), "--output", dir.File("init")).Exit);
        string data = dir.File("data.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 20).Select(i =>
            new JsonObject
            {
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = Questions[i % Questions.Length] },
                    new JsonObject { ["role"] = "assistant", ["content"] = Answers[(i / 3) % Answers.Length] }),
            }.ToJsonString()));
        double FirstLoss(string name, params string[] extra)
        {
            var (exit, _, error) = CliAppTests.Run(new[] { "sft", "--model", dir.File("init"), "--data", data, "--output", dir.File(name),
                "--max-steps", "1", "--batch-size", "32", "--max-length", "96", "--seed", "3" }.Concat(extra).ToArray());
            Assert.True(exit == 0, error);
            return JsonNode.Parse(File.ReadLines(Path.Combine(dir.File(name), "metrics.jsonl")).First())!["loss"]!.GetValue<double>();
        }
        double padded = FirstLoss("padded"), packed = FirstLoss("packed", "--pack");
        Assert.True(Math.Abs(packed - padded) <= 1e-5 * padded, $"packed {packed} vs padded {padded}");

        var packing = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("packed"), "run.json")))!["data"]!["train"]!["packing"]!;
        Assert.Equal(20, packing["examples"]!.GetValue<int>());
        Assert.Equal(96, packing["row_length"]!.GetValue<int>());
        int rows = packing["rows"]!.GetValue<int>();
        Assert.InRange(rows, 2, 9);
        Assert.InRange(packing["fill"]!.GetValue<double>(), 0.5, 1.0);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("padded"), "run.json")))!["data"]!["train"]!["packing"]);
    }
}
