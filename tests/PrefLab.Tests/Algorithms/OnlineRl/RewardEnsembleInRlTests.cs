using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Rewards;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Generation;
using PrefLab.Tests.Text;
using Xunit;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>
/// <c>--reward-model</c> repeated: each member scores as a lone reward model would (its stored normalisation
/// applied), the rule combines them, run.json states the ensemble and metrics.jsonl logs each member's mean score.
/// Update 1 samples the same responses whatever the reward (the policy has not been updated), so its numbers relate
/// exactly to single-model runs.
/// </summary>
public class RewardEnsembleInRlTests : SingleThreadedTests
{
    /// <summary>A second reward model beside the setup's (another seed), with a stored normalisation.</summary>
    static string SecondRewardModel(TinyRlSetup setup)
    {
        string tokenizer = TokenizerFixtures.Folder("world");
        string folder = setup.Folder("rm2");
        var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(tokenizer));
        using (var rm = ScalarHeadModel.Create(config, seed: 11))
        {
            rm.Save(folder);
            ModelFolder.CopyTokenizerFiles(tokenizer, folder);
        }
        new RewardNormalization(0.1, 0.05, Samples: 100).Write(folder);
        return folder;
    }

    static (List<JsonNode> Metrics, JsonNode Run) Ppo(TinyRlSetup setup, string output, params string[] reward)
    {
        var (exit, _, stderr) = CliAppTests.Run(["ppo", "--policy", setup.Policy, .. reward, "--prompts", setup.Prompts,
            "--output", setup.Folder(output), "--max-steps", "2", "--rollout-batch-size", "8", "--max-new-tokens", "6",
            "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4", "--missing-eos-penalty", "none", "--seed", "3",
            "--lr", "1e-2"]);
        Assert.True(exit == 0, stderr);
        return (TinyRlSetup.Lines(Path.Combine(setup.Folder(output), "metrics.jsonl")),
            JsonNode.Parse(File.ReadAllText(Path.Combine(setup.Folder(output), "run.json")))!);
    }

    static double At(List<JsonNode> metrics, int update, string name) => metrics[update][name]!.GetValue<double>();

    [Fact]
    public void Min_and_mean_ensembles_combine_the_members_scores_and_log_each_member()
    {
        using var setup = new TinyRlSetup();
        string rm2 = SecondRewardModel(setup);
        var (one, oneRun) = Ppo(setup, "one", "--reward-model", setup.RewardModel);
        var (two, _) = Ppo(setup, "two", "--reward-model", rm2);
        var (min, minRun) = Ppo(setup, "min", "--reward-model", setup.RewardModel, "--reward-model", rm2, "--ensemble", "min");
        var (mean, _) = Ppo(setup, "mean", "--reward-model", setup.RewardModel, "--reward-model", rm2);

        // Update 1: every run sampled the same responses, so each member's mean is the lone model's objective/scores.
        foreach (var run in new[] { min, mean })
        {
            Assert.Equal(At(one, 0, "objective/scores"), At(run, 0, "objective/scores/member_0"), 5);
            Assert.Equal(At(two, 0, "objective/scores"), At(run, 0, "objective/scores/member_1"), 5);
        }
        Assert.Equal((At(one, 0, "objective/scores") + At(two, 0, "objective/scores")) / 2, At(mean, 0, "objective/scores"), 5);
        Assert.True(At(min, 0, "objective/scores") <= Math.Min(At(one, 0, "objective/scores"), At(two, 0, "objective/scores")) + 1e-6);
        Assert.All(min, m => Assert.NotNull(m["objective/scores/member_1"]));
        Assert.Null(one[0]["objective/scores/member_0"]);

        var reward = minRun["reward"]!;
        Assert.Equal("reward_model_ensemble", reward["kind"]!.GetValue<string>());
        Assert.Equal("min", reward["ensemble"]!["combiner"]!.GetValue<string>());
        var members = reward["members"]!.AsArray();
        Assert.Equal(2, members.Count);
        Assert.Equal(setup.RewardModel, members[0]!["folder"]!.GetValue<string>());
        Assert.False(members[0]!["normalization"]!["applied"]!.GetValue<bool>());
        Assert.True(members[1]!["normalization"]!["applied"]!.GetValue<bool>());
        Assert.NotNull(reward["scale_warning"]);
        Assert.Equal(2, minRun["options"]!["reward-model"]!.AsArray().Count);
        // One reward model: run.json as before ensembles.
        Assert.Equal("reward_model", oneRun["reward"]!["kind"]!.GetValue<string>());
        Assert.Equal(setup.RewardModel, oneRun["options"]!["reward-model"]!.GetValue<string>());
    }

    [Fact]
    public void Weights_one_and_zero_reproduce_the_first_members_run_bit_for_bit()
    {
        using var setup = new TinyRlSetup();
        string rm2 = SecondRewardModel(setup);
        var (one, _) = Ppo(setup, "one", "--reward-model", setup.RewardModel);
        var (weighted, run) = Ppo(setup, "weighted", "--reward-model", setup.RewardModel, "--reward-model", rm2,
            "--ensemble", "weights", "--ensemble-weights", "1,0");
        Assert.Equal(one.Count, weighted.Count);
        foreach (string name in new[] { "objective/scores", "objective/kl", "loss/policy", "loss/value" })
            for (int u = 0; u < one.Count; u++)
                Assert.Equal(At(one, u, name), At(weighted, u, name));
        Assert.Equal(1.0, run["reward"]!["ensemble"]!["weights_normalized"]![0]!.GetValue<double>());
    }

    [Theory]
    [InlineData(new[] { "--ensemble", "weights", "--ensemble-weights", "1" }, "--ensemble-weights", "1 weight for 2")]
    [InlineData(new[] { "--ensemble", "weights", "--ensemble-weights", "-1,2" }, "--ensemble-weights", "non-negative")]
    [InlineData(new[] { "--ensemble", "weights", "--ensemble-weights", "0,0" }, "--ensemble-weights", "all zero")]
    [InlineData(new[] { "--ensemble", "weights", "--ensemble-weights", "1,nan" }, "--ensemble-weights", "finite")]
    [InlineData(new[] { "--ensemble", "weights" }, "--ensemble-weights", "required")]
    [InlineData(new[] { "--ensemble", "max" }, "--ensemble", "mean, min or weights")]
    [InlineData(new[] { "--ensemble-weights", "1,1" }, "--ensemble-weights", "only")]
    public void Bad_ensemble_options_are_errors_naming_the_option_and_leave_no_run_folder(string[] extra, string option, string message)
    {
        using var setup = new TinyRlSetup();
        string rm2 = SecondRewardModel(setup);
        string output = setup.Folder("bad");
        var (exit, _, stderr) = CliAppTests.Run(["ppo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--reward-model", rm2,
            "--prompts", setup.Prompts, "--output", output, "--max-steps", "1", .. extra]);
        Assert.Equal(2, exit);
        Assert.Contains(option, stderr);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("online-dpo")]
    [InlineData("rloo")]
    public void Critic_free_and_online_DPO_runs_take_an_ensemble_and_log_its_members(string command)
    {
        using var setup = new TinyRlSetup();
        string rm2 = SecondRewardModel(setup);
        string output = setup.Folder(command);
        var (exit, _, stderr) = CliAppTests.Run(command, "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--reward-model", rm2,
            "--ensemble", "min", "--prompts", setup.Prompts, "--output", output, "--max-steps", "2", "--lr", "1e-2", "--rollout-batch-size", "4",
            "--num-generations", "3", "--max-new-tokens", "8", "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4",
            "--seed", "3");
        Assert.True(exit == 0, stderr);
        var metrics = TinyRlSetup.Lines(Path.Combine(output, "metrics.jsonl"));
        Assert.All(metrics, m => Assert.NotNull(m["objective/scores/member_1"]));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!;
        Assert.Equal("min", run["reward"]!["ensemble"]!["combiner"]!.GetValue<string>());
    }

    [Fact]
    public void Ensemble_options_with_one_reward_model_are_errors()
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("bad");
        var (exit, _, stderr) = CliAppTests.Run(["grpo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--ensemble", "min",
            "--prompts", setup.Prompts, "--output", output, "--max-steps", "1"]);
        Assert.Equal(2, exit);
        Assert.Contains("--ensemble", stderr);
        Assert.Contains("two or more", stderr);
        Assert.False(Directory.Exists(output));
    }
}
