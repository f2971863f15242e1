using PrefLab.Algorithms.Sft;
using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Lab.Recipes;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;
using PrefLab.World;
using Xunit;

namespace PrefLab.Tests.Fixtures;

/// <summary>
/// A small Preference World with a `world-small` model pretrained on its corpus and then fine-tuned on its
/// demonstrations, built once per test run and shared by the learnability tests (SFT, reward model, DPO,
/// PPO) so each does not pay for pretraining again. The recipe is stated here so tests can quote it.
/// </summary>
public sealed class WorldModelsFixture : IDisposable
{
    /// <summary>The World recipe the learnability tests share with the demo (<see cref="WorldRecipes.Tests"/>).</summary>
    public static WorldRecipe Recipe => WorldRecipes.Tests;
    public const long Seed = WorldRecipes.Seed;
    public static TrainingOptions PretrainOptions => Recipe.Pretrain;
    public static TrainingOptions SftOptions => Recipe.Sft;
    public static int MaxLength => Recipe.MaxLength;

    readonly TempDir temp = new();

    public WorldModelsFixture()
    {
        PrefLab.Runtime.Console.ProgressReporter.Quiet = true;
        WorldDir = Path.Combine(temp.Path, "world");
        WorldGenerator.Generate(WorldDir, Seed, Recipe.Scale);
        World = WorldInstance.Load(WorldDir);

        InitialDir = Path.Combine(temp.Path, "init");
        var config = ModelPresets.Create(Recipe.Preset, TokenizerFacts.Read(Path.Combine(WorldDir, "tokenizer")));
        using (var model = CausalLM.Create(config, Seed))
        {
            model.Save(InitialDir);
            ModelFolder.CopyTokenizerFiles(Path.Combine(WorldDir, "tokenizer"), InitialDir);
        }

        BaseDir = Path.Combine(temp.Path, "base");
        Pretrain = SftJob.Run(new SftJobOptions
        {
            Mode = LanguageModelingMode.Pretrain, Model = InitialDir, Data = Path.Combine(WorldDir, "pretrain.jsonl"),
            Output = BaseDir, Training = PretrainOptions, MaxLength = MaxLength,
        });
        SftDir = Path.Combine(temp.Path, "sft");
        Sft = SftJob.Run(new SftJobOptions
        {
            Mode = LanguageModelingMode.Sft, Model = BaseDir, Data = Path.Combine(WorldDir, "sft.jsonl"),
            Output = SftDir, Training = SftOptions, MaxLength = MaxLength,
        });
    }

    public string WorldDir { get; }
    public WorldInstance World { get; }
    public string InitialDir { get; }
    public string BaseDir { get; }
    public string SftDir { get; }
    public TrainingResult Pretrain { get; }
    public TrainingResult Sft { get; }

    /// <summary>
    /// Mean gold score per category of a model's greedy responses to the World's held-out evaluation prompts
    /// (generative items; at most <paramref name="perCategory"/> per category, the same items for every model).
    /// With <paramref name="temperature"/> &gt; 0 the responses are sampled instead, <paramref name="samplesPerItem"/>
    /// per item (generation seed <paramref name="seed"/>): the policy online RL trains, which samples at its temperature.
    /// </summary>
    public Dictionary<string, double> GoldScores(string modelDir, int perCategory = 20, int maxNewTokens = 48,
        double temperature = 0, int samplesPerItem = 1, long seed = 0) =>
        GoldItemScores(modelDir, perCategory, maxNewTokens, temperature, samplesPerItem, seed)
            .GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));

    /// <summary>
    /// The per-item scores behind <see cref="GoldScores"/> (an item's score is the mean over its samples), in a fixed
    /// order (category, then item), so two models' lists pair item by item.
    /// </summary>
    public List<(string Category, double Score)> GoldItemScores(string modelDir, int perCategory = 20, int maxNewTokens = 48,
        double temperature = 0, int samplesPerItem = 1, long seed = 0)
    {
        var options = temperature == 0 ? GenerationOptions.Greedy(maxNewTokens)
            : new GenerationOptions { Temperature = temperature, MaxNewTokens = maxNewTokens, Seed = seed };
        var tokenizer = TokenizerLoader.Load(modelDir);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        using var model = CausalLM.Load(modelDir);
        var generator = TextGenerator.For(model, tokenizer);
        var scores = new List<(string Category, double Score)>();
        foreach (string category in WorldCategories.All)
        {
            var items = World.EvalItems(category).Where(i => !i.IsMultipleChoice).Take(perCategory)
                .SelectMany(i => Enumerable.Repeat(i, samplesPerItem)).ToList();
            var prompts = items.Select(i => (IReadOnlyList<Message>)new[] { Message.User(i.Task.Prompt) }).ToList();
            var result = generator.Generate(chat, prompts, options);
            var sampleScores = items.Select((item, k) => World.Judge.Score(item.Task.Prompt, result.Sequences[k].Text ?? "").Overall).ToList();
            for (int i = 0; i < sampleScores.Count; i += samplesPerItem)
                scores.Add((category, sampleScores.Skip(i).Take(samplesPerItem).Average()));
        }
        return scores;
    }

    /// <summary>
    /// trained − reference on the mean over categories of per-item gold scores, paired by item, with the stratified
    /// bootstrap the reports use (each category counts once; items resampled within categories): the interval a
    /// learnability claim has to clear.
    /// </summary>
    public static PrefLab.Statistics.Estimate GoldUplift(IReadOnlyList<(string Category, double Score)> trained,
        IReadOnlyList<(string Category, double Score)> reference)
    {
        Assert.Equal(reference.Select(i => i.Category), trained.Select(i => i.Category));
        var categories = reference.Select(i => i.Category).Distinct().ToList();
        var counts = reference.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Count());
        double Weight(string category) => reference.Count / ((double)categories.Count * counts[category]);
        var strata = reference.Select(i => categories.IndexOf(i.Category)).ToArray();
        return PrefLab.Statistics.Bootstrap.PairedDifference(
            trained.Select(i => i.Score * Weight(i.Category)).ToList(), reference.Select(i => i.Score * Weight(i.Category)).ToList(),
            new PrefLab.Statistics.BootstrapOptions { Resamples = 2000, Seed = 0 }, strata);
    }

    /// <summary>A fresh folder for a test's own runs.</summary>
    public string NewFolder(string name)
    {
        string path = Path.Combine(temp.Path, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose() => temp.Dispose();
}

[CollectionDefinition("WorldModels")]
public sealed class WorldModelsCollection : ICollectionFixture<WorldModelsFixture>;
