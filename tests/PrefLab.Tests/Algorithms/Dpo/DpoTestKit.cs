using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Tests.Text;
using PrefLab.Training;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>Tiny models and preference files over the small "world" test tokenizer, for fast DPO runs.</summary>
internal static class DpoTestKit
{
    static readonly string[] Words = ["the", "a", "is", "of", "capital", "france", "paris", "answer", "blue", "red", "cat", "dog",
        "i", "think", "so", "not", "sure", "yes", "no", "hello", "world", "sky", "color", "name", "2", "+", "=", "4"];

    public static string Tokenizer => TokenizerFixtures.Folder("world");

    /// <summary>A randomly initialised model folder (weights + tokenizer files).</summary>
    public static string Model(string folder, long seed, string preset = "tiny-test")
    {
        var config = ModelPresets.Create(preset, TokenizerFacts.Read(Tokenizer));
        using var model = CausalLM.Create(config, seed);
        model.Save(folder);
        ModelFolder.CopyTokenizerFiles(Tokenizer, folder);
        return folder;
    }

    /// <summary><paramref name="count"/> pairwise rows of varied lengths (the chosen answer is always about paris).</summary>
    public static string Pairs(string path, int count, int seed = 7)
    {
        var random = new Random(seed);
        string Sentence(int min, int max) => string.Join(' ', Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => Words[random.Next(Words.Length)])) + " .";
        var lines = Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["prompt"] = "what is the capital of france ? " + Sentence(0, 6).TrimEnd('.', ' ') + " ?",
            ["chosen"] = "paris . " + Sentence(1, 8),
            ["rejected"] = Sentence(1, 10),
        }.ToJsonString());
        File.WriteAllLines(path, lines);
        return path;
    }

    public static List<JsonObject> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, RunDirectory.MetricsFile)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    public static List<JsonObject> TrainMetrics(string run) => Metrics(run).Where(m => m["loss"] is not null).ToList();

    public static JsonObject Run(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunDirectory.RunFile)))!.AsObject();

    public static double Value(JsonObject line, string name) => line[name]!.GetValue<double>();

    /// <summary>A fast configuration: micro-batches of 4 pairs, 2 accumulated, short sequences.</summary>
    public static DpoJobOptions Options(string model, string data, string output, string cache, DpoOptions? dpo = null, TrainingOptions? training = null) => new()
    {
        Model = model, Data = data, Output = output, RefCache = cache, MaxLength = 48,
        Dpo = dpo ?? new DpoOptions(),
        Training = training ?? new TrainingOptions { Lr = 1e-3, BatchSize = 4, GradAccum = 2, Epochs = 1, Seed = 3, WarmupRatio = 0 },
    };
}
