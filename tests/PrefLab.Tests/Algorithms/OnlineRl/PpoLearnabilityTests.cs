using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>PPO on the small Preference World, from the shared fixture's SFT model (never retrained here).</summary>
[Collection("WorldModels")]
public class PpoLearnabilityTests(WorldModelsFixture world, ITestOutputHelper output)
{
    /// <summary>
    /// The World recipe: the World's gold judge as the reward, the mixed prompt pool, 20 updates of 32 prompts (640
    /// episodes, 3.2 passes over the 200 prompts), 4 PPO epochs over 2 minibatches per rollout (TRL's default epochs;
    /// the paper's single pass learns nothing in 20 updates here), lr 1e-4 (world-small needs far larger steps than the
    /// paper's 1e-6), the paper's β 0.05 (k1, fixed), GAE γ 1 λ 0.95, clip 0.2, temperature 0.7, 48 new tokens
    /// (World answers are about 9 tokens). Measured alternatives (seed 1, 20 updates, greedy gold over 20 items per
    /// category, SFT 0.2644): lr 3e-5 one epoch 0.2512; lr 1e-4 one epoch 0.2334.
    /// </summary>
    public static PpoJobOptions WorldRecipe(string policy, string world, string prompts, string output) => new()
    {
        Policy = policy, Prompts = prompts, Output = output, Reward = RewardSource.Gold, World = world,
        MaxNewTokens = Recipe.MaxNewTokens, RolloutBatchSize = Recipe.RolloutBatchSize, GenerationBatchSize = 32, ForwardBatchSize = 16,
        MaxSteps = Updates, PpoEpochs = Recipe.PpoEpochs, NumMinibatches = Recipe.NumMinibatches, Lr = Recipe.Lr, KlCoef = Recipe.KlCoef,
        Seed = WorldModelsFixture.Seed, RolloutLogEvery = 0,
    };
    static PrefLab.Lab.Recipes.PpoRecipe Recipe => WorldModelsFixture.Recipe.Ppo;
    public static int Updates => Recipe.Updates;
    /// <summary>All generative evaluation items (248), each sampled 4 times at the policy's temperature.</summary>
    public const int GoldItemsPerCategory = 40, SamplesPerItem = 4;
    public const long EvalSeed = 3;

    [Fact]
    public void PPO_with_the_gold_reward_raises_the_gold_score_of_sampled_answers_to_held_out_prompts_within_20_updates()
    {
        string folder = world.NewFolder("ppo");
        var options = WorldRecipe(world.SftDir, world.WorldDir, Path.Combine(world.WorldDir, "prompts", "mixed.jsonl"), Path.Combine(folder, "run"));
        var result = PpoJob.Run(options);
        Assert.Equal(Updates, result.Steps);

        // The held-out World evaluation prompts (never in the prompt pool), answered by sampling at the training
        // temperature: the policy PPO optimises. Stated margin: the mean over categories rises by more than 0.003.
        // Measured: SFT 0.2673 -> PPO 0.2723 (seed 1, this test; +0.0050) and 0.2772 (seed 2; +0.0099).
        // Greedy answers barely move (SFT 0.2635 -> 0.2611 seed 1, 0.2642 seed 2): 20 updates shift the sampling
        // distribution, not yet its mode. The gains are small; the rollouts' own gold score stays near 0.27
        // (0.29 at update 1, 0.22-0.30 later) because each update draws other prompts of very different difficulty.
        double temperature = options.Temperature;
        var sft = world.GoldScores(world.SftDir, GoldItemsPerCategory, temperature: temperature, samplesPerItem: SamplesPerItem, seed: EvalSeed);
        var ppo = world.GoldScores(options.Output, GoldItemsPerCategory, temperature: temperature, samplesPerItem: SamplesPerItem, seed: EvalSeed);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {sft[c]:F3} -> {ppo[c]:F3}")) +
            $"; mean {sft.Values.Average():F4} -> {ppo.Values.Average():F4}";
        output.WriteLine($"gold of sampled answers: {table}");
        Assert.True(ppo.Values.Average() > sft.Values.Average() + 0.003, table);
    }
}
