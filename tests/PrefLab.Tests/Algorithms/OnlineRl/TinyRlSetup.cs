using System.Text.Json.Nodes;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Tests.Generation;
using PrefLab.Tests.Text;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>
/// Folders for fast online RL tests: a tiny-test policy on the World fixture tokenizer (51 ids, EOS 3), its weights
/// drawn with a large spread so sampling is far from uniform (<see cref="GenerationFixtures.Model"/>); a random
/// reward model with the same tokenizer; a prompt file of eight short prompts and one too long for the limit.
/// </summary>
public sealed class TinyRlSetup : IDisposable
{
    public const int MaxPromptLength = 24;
    readonly TempDir dir = new();

    public TinyRlSetup(int policySeed = 1, double std = 0.5)
    {
        string tokenizer = TokenizerFixtures.Folder("world");
        Policy = dir.File("policy");
        using (var model = GenerationFixtures.Model(policySeed, std))
        {
            model.Save(Policy);
            ModelFolder.CopyTokenizerFiles(tokenizer, Policy);
        }
        RewardModel = dir.File("rm");
        var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(tokenizer));
        using (var rm = ScalarHeadModel.Create(config, seed: 7))
        {
            rm.Save(RewardModel);
            ModelFolder.CopyTokenizerFiles(tokenizer, RewardModel);
        }
        Prompts = dir.File("prompts.jsonl");
        var prompts = new[]
        {
            "what is the capital of france ?", "hello world", "name the color of the sky .", "add 2 and 2 .",
            "is the sky blue ?", "please name a cat .", "what is 2 + 2 ?", "i think so . are you sure ?",
            // 26 words + the chat markers: longer than MaxPromptLength, dropped and counted.
            string.Join(' ', Enumerable.Repeat("the cat", 13)),
        };
        File.WriteAllLines(Prompts, prompts.Select(p => new JsonObject { ["prompt"] = p }.ToJsonString()));
    }

    public string Policy { get; }
    public string RewardModel { get; }
    public string Prompts { get; }
    public string Folder(string name) => dir.File(name);

    public PpoJobOptions Ppo(string output) => new()
    {
        Policy = Policy, RewardModel = RewardModel, Prompts = Prompts, Output = Folder(output),
        MaxPromptLength = MaxPromptLength, MaxNewTokens = 8, RolloutBatchSize = 8, GenerationBatchSize = 8, ForwardBatchSize = 4,
        Training = OnlineRlOptions.DefaultTraining with { MaxSteps = 2, Lr = 1e-2, Seed = 5 }, RolloutLogEvery = 1,
    };

    public GroupRlJobOptions Group(GroupRlAlgorithm algorithm, string output) => new()
    {
        Algorithm = algorithm, Policy = Policy, RewardModel = RewardModel, Prompts = Prompts, Output = Folder(output),
        MaxPromptLength = MaxPromptLength, MaxNewTokens = 8, RolloutBatchSize = 4, NumGenerations = 3, GenerationBatchSize = 12,
        ForwardBatchSize = 4, Training = OnlineRlOptions.DefaultTraining with { MaxSteps = 2, Lr = 1e-2, Seed = 5 }, RolloutLogEvery = 1,
    };

    public void Dispose() => dir.Dispose();

    /// <summary>Every parameter tensor of a folder's model, flattened, in parameter order.</summary>
    public static float[][] Weights(string folder, bool scalarHead = false)
    {
        using var model = scalarHead ? (PretrainedModel)ScalarHeadModel.Load(folder) : CausalLM.Load(folder);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToArray();
    }

    public static List<JsonNode> Lines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToList();

    public static double[] Doubles(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}

/// <summary>Changes the shared training options of an online RL options record, keeping its type (a record's
/// <c>with</c> cannot reach into a nested record).</summary>
public static class OnlineRlOptionsTestExtensions
{
    public static T WithTraining<T>(this T options, Func<PrefLab.Training.TrainingOptions, PrefLab.Training.TrainingOptions> change) where T : OnlineRlOptions =>
        (T)(options with { Training = change(options.Training) });
}
