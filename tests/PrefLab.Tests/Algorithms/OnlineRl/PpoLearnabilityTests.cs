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
        PpoEpochs = Recipe.PpoEpochs, NumMinibatches = Recipe.NumMinibatches, KlCoef = Recipe.KlCoef,
        Training = OnlineRlOptions.DefaultTraining with { MaxSteps = Updates, Lr = Recipe.Lr, Seed = WorldModelsFixture.Seed }, RolloutLogEvery = 0,
    };
    static PrefLab.Lab.Recipes.PpoRecipe Recipe => WorldModelsFixture.Recipe.Ppo;
    public static int Updates => Recipe.Updates;
    /// <summary>All generative evaluation items (248), each sampled 4 times at the policy's temperature.</summary>
    public const int GoldItemsPerCategory = 40, SamplesPerItem = 4;
    public const long EvalSeed = 3;

    [Fact]
    public void PPO_with_the_gold_reward_trains_20_updates_without_lowering_the_gold_score_of_sampled_answers_to_held_out_prompts()
    {
        string folder = world.NewFolder("ppo");
        var options = WorldRecipe(world.SftDir, world.WorldDir, Path.Combine(world.WorldDir, "prompts", "mixed.jsonl"), Path.Combine(folder, "run"));
        var result = PpoJob.Run(options);
        Assert.Equal(Updates, result.Steps);

        // The held-out World evaluation prompts (never in the prompt pool), answered by sampling at the training
        // temperature (the policy PPO optimises), paired by item against SFT. What this size can claim: no loss (the
        // interval's lower end above -0.02). It cannot claim a gain: measured +0.004 [-0.007, +0.015] (seed 1, 248 items
        // x 4 samples). At the demo's size PPO with the gold reward moved greedy answers -0.011 [-0.030, +0.008] in 12
        // updates and +0.021 [-0.001, +0.045] in 60 (WorldRecipes' remarks).
        double temperature = options.Temperature;
        var sftItems = world.GoldItemScores(world.SftDir, GoldItemsPerCategory, temperature: temperature, samplesPerItem: SamplesPerItem, seed: EvalSeed);
        var ppoItems = world.GoldItemScores(options.Output, GoldItemsPerCategory, temperature: temperature, samplesPerItem: SamplesPerItem, seed: EvalSeed);
        var sft = sftItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var ppo = ppoItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var uplift = WorldModelsFixture.GoldUplift(ppoItems, sftItems);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {sft[c]:F3} -> {ppo[c]:F3}")) +
            $"; mean {sft.Values.Average():F4} -> {ppo.Values.Average():F4}; uplift {uplift}";
        output.WriteLine($"gold of sampled answers: {table}");
        Assert.True(uplift.Lower > -0.02, table);
    }
}
