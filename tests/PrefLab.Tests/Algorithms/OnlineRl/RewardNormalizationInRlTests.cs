using System.Text.Json.Nodes;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Rewards;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Generation;
using Xunit;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>
/// Online RL scores with the reward model's stored normalisation, (r - mean) / std, unless
/// <c>--no-reward-normalization</c>; run.json says which. The same seed samples the same first rollout either way
/// (the policy equals the reference and nothing has been updated), so update 1's scores relate exactly.
/// </summary>
public class RewardNormalizationInRlTests : SingleThreadedTests
{
    const double Mean = 0.25, Std = 0.02;

    static void StoreNormalization(string rewardModel) =>
        new RewardNormalization(Mean, Std, Samples: 100).Write(rewardModel);

    static (double FirstScore, JsonNode Run) RunPpo(TinyRlSetup setup, string output, params string[] extra)
    {
        var (exit, _, stderr) = CliAppTests.Run(["ppo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", setup.Folder(output), "--max-steps", "1", "--rollout-batch-size", "8", "--max-new-tokens", "6",
            "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4", "--missing-eos-penalty", "none", "--seed", "3", .. extra]);
        Assert.True(exit == 0, stderr);
        var metrics = TinyRlSetup.Lines(Path.Combine(setup.Folder(output), "metrics.jsonl"));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(setup.Folder(output), "run.json")))!;
        return (metrics[0]["objective/scores"]!.GetValue<double>(), run);
    }

    [Fact]
    public void PPO_scores_are_normalised_by_the_stored_file_and_raw_with_the_option_off()
    {
        using var setup = new TinyRlSetup();
        StoreNormalization(setup.RewardModel);
        var (normalised, runOn) = RunPpo(setup, "on");
        var (raw, runOff) = RunPpo(setup, "off", "--no-reward-normalization");

        Assert.NotEqual(raw, normalised, 6);
        Assert.Equal((raw - Mean) / Std, normalised, 4);
        var on = runOn["reward"]!["normalization"]!;
        Assert.True(on["applied"]!.GetValue<bool>());
        Assert.Equal(Mean, on["mean"]!.GetValue<double>());
        Assert.Equal(Std, on["std"]!.GetValue<double>());
        Assert.False(runOff["reward"]!["normalization"]!["applied"]!.GetValue<bool>());
        // The value model copied from the reward model is rescaled with the reward; with raw rewards it is not.
        Assert.NotNull(runOn["algorithm"]!["value_model"]!["rescaled"]);
        Assert.Null(runOff["algorithm"]!["value_model"]!["rescaled"]);
    }

    [Fact]
    public void Without_a_normalisation_file_the_raw_score_is_the_reward_and_run_json_says_why()
    {
        using var setup = new TinyRlSetup();
        var (defaultScore, run) = RunPpo(setup, "none");
        var (offScore, _) = RunPpo(setup, "none-off", "--no-reward-normalization");
        Assert.Equal(offScore, defaultScore, 12);
        var normalization = run["reward"]!["normalization"]!;
        Assert.False(normalization["applied"]!.GetValue<bool>());
        Assert.Contains(RewardNormalization.FileName, normalization["why"]!.GetValue<string>());
    }

    [Fact]
    public void Group_RL_applies_the_normalisation_too()
    {
        using var setup = new TinyRlSetup();
        StoreNormalization(setup.RewardModel);
        double FirstScore(string output, bool normalize)
        {
            GroupRlJob.Run(setup.Group(GroupRlAlgorithm.Rloo, output).WithTraining(t => t with { MaxSteps = 1 }) with { NormalizeReward = normalize, MissingEosPenalty = null });
            return TinyRlSetup.Lines(Path.Combine(setup.Folder(output), "metrics.jsonl"))[0]["objective/scores"]!.GetValue<double>();
        }
        double normalised = FirstScore("on", true), raw = FirstScore("off", false);
        Assert.Equal((raw - Mean) / Std, normalised, 4);
    }
}
