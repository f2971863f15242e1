using System.Text.Json.Nodes;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Generation;
using PrefLab.Training.Checkpoints;
using Xunit;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>The commands end to end on tiny models: smoke, outputs, metrics, resume, option errors.</summary>
public class OnlineRlRunTests : SingleThreadedTests
{
    static readonly string[] OnlineMetrics =
    {
        "objective/scores", "objective/kl", "objective/sqrt_kl", "objective/non_score_reward", "objective/rlhf_reward", "objective/entropy",
        "policy/clipfrac", "policy/approxkl", "loss/policy", "eos_fraction", "response_length", "time/generation", "time/scoring",
        "time/training", "lr", "grad_norm", "tokens_per_sec", "elapsed_sec",
    };

    [Fact]
    public void PPO_a_few_updates_at_a_high_learning_rate_change_every_policy_and_value_parameter()
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("ppo");
        var (exit, stdout, stderr) = CliAppTests.Run("ppo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--max-steps", "3", "--lr", "1e-2", "--value-lr", "1e-2", "--rollout-batch-size", "8", "--max-new-tokens", "8",
            "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4", "--ppo-epochs", "2", "--num-minibatches", "2",
            "--rollout-log-every", "2", "--seed", "3");
        Assert.True(exit == 0, stderr);
        Assert.Contains("ppo: 3 steps; model saved to", stdout);

        AssertAllChanged(TinyRlSetup.Weights(setup.Policy), TinyRlSetup.Weights(output));
        // The value model started from the reward model (same tokenizer) and trained on its own optimizer.
        AssertAllChanged(TinyRlSetup.Weights(setup.RewardModel, scalarHead: true), TinyRlSetup.Weights(Path.Combine(output, "value"), scalarHead: true));

        var metrics = TinyRlSetup.Lines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(new long[] { 1, 2, 3 }, metrics.Select(m => m["step"]!.GetValue<long>()));
        foreach (string name in OnlineMetrics.Concat(new[] { "loss/value", "val/clipfrac", "value/grad_norm", "objective/kl_coef" }))
            Assert.True(metrics[0][name] is not null, $"metric {name} missing");
        Assert.Equal(0.0, metrics[0]["objective/kl"]!.GetValue<double>()); // update 1 samples from the reference itself
        Assert.True(metrics[2]["objective/kl"]!.GetValue<double>() != 0);
        Assert.Equal(Math.Sqrt(Math.Max(0, metrics[2]["objective/kl"]!.GetValue<double>())), metrics[2]["objective/sqrt_kl"]!.GetValue<double>(), 12);

        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!;
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal(1, run["prompts"]!["tokenization"]!["dropped"]!.GetValue<long>());
        Assert.Equal(8, run["prompts"]!["tokenization"]!["kept"]!.GetValue<long>());
        Assert.Equal("reward_model", run["algorithm"]!["value_model"]!["init"]!.GetValue<string>());
        Assert.Equal(1e-2, run["options"]!["value-lr"]!.GetValue<double>());
        // Updates 1 and 2 are logged (the first always, then every 2nd): 8 samples each.
        var rollouts = TinyRlSetup.Lines(Path.Combine(output, RolloutLog.FileName));
        Assert.Equal(new long[] { 1, 2 }, rollouts.Select(r => r["step"]!.GetValue<long>()).Distinct());
        Assert.Equal(16, rollouts.Count);
        foreach (var sample in rollouts)
        {
            bool eos = sample["eos"]!.GetValue<bool>();
            Assert.Equal(eos ? sample["score"]!.GetValue<double>() : -10.0, sample["reward"]!.GetValue<double>(), 5);
        }
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(output, "value", "config.json")));
    }

    [Theory]
    [InlineData("rloo")]
    [InlineData("grpo")]
    public void Group_RL_a_few_updates_change_every_policy_parameter(string command)
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder(command);
        var (exit, stdout, stderr) = CliAppTests.Run(command, "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--max-steps", "3", "--lr", "1e-2", "--rollout-batch-size", "4", "--num-generations", "3", "--max-new-tokens", "8",
            "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4", "--seed", "3");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"{command}: 3 steps; model saved to", stdout);
        AssertAllChanged(TinyRlSetup.Weights(setup.Policy), TinyRlSetup.Weights(output));
        Assert.False(Directory.Exists(Path.Combine(output, "value")));
        var metrics = TinyRlSetup.Lines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(3, metrics.Count);
        foreach (string name in OnlineMetrics.Concat(new[] { "groups/zero_variance", "frac_reward_zero_std", "episodes" }))
            Assert.True(metrics[0][name] is not null, $"metric {name} missing");
        Assert.Null(metrics[0]["loss/value"]);
        var rollouts = TinyRlSetup.Lines(Path.Combine(output, RolloutLog.FileName)); // every 10th update and the first: update 1
        Assert.Equal(12, rollouts.Count);
        // A prompt's samples are adjacent rows: three in a row share a prompt.
        for (int i = 0; i < 12; i += 3)
            Assert.Single(rollouts.Skip(i).Take(3).Select(r => r["prompt"]!.GetValue<string>()).Distinct());
    }

    [Fact]
    public void A_resumed_run_equals_the_uninterrupted_run()
    {
        using var setup = new TinyRlSetup();
        // Adaptive KL (its β is state to restore), two passes of two minibatches, a warm-up and a decaying schedule.
        var options = setup.Ppo("straight").WithTraining(t => t with { MaxSteps = 4, SaveEvery = 2, WarmupRatio = 0.25 }) with
        {
            PpoEpochs = 2, NumMinibatches = 2, TargetKl = 0.01, KlHorizon = 16, KlCoef = 0.2,
        };
        var straight = PpoJob.Run(options);
        string interrupted = setup.Folder("interrupted");
        Assert.Throws<OperationCanceledException>(() => PpoJob.Run(options with
        {
            Output = interrupted,
            AfterStep = s => { if (s == 3) throw new OperationCanceledException("interrupted"); },
        }));
        Assert.Equal(2, new CheckpointStore(Path.Combine(interrupted, "checkpoints"), 2).Latest);
        var resumed = PpoJob.Run(options.WithTraining(t => t with { Resume = true }) with { Output = interrupted });

        Assert.Equal(straight.Steps, resumed.Steps);
        var a = TinyRlSetup.Lines(Path.Combine(options.Output, "metrics.jsonl"));
        var b = TinyRlSetup.Lines(Path.Combine(interrupted, "metrics.jsonl"));
        Assert.Equal(4, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            var keys = a[i].AsObject().Select(p => p.Key).Where(k => !k.StartsWith("time/") && k is not ("elapsed_sec" or "tokens_per_sec")).ToList();
            Assert.Equal(keys, b[i].AsObject().Select(p => p.Key).Where(keys.Contains));
            foreach (string key in keys) Assert.Equal(a[i][key]!.ToJsonString(), b[i][key]!.ToJsonString());
        }
        // β moved, so restoring it mattered; the samples and the final models are identical.
        Assert.NotEqual(a[0]["objective/kl_coef"]!.GetValue<double>(), a[3]["objective/kl_coef"]!.GetValue<double>());
        Assert.Equal(File.ReadAllText(Path.Combine(options.Output, RolloutLog.FileName)), File.ReadAllText(Path.Combine(interrupted, RolloutLog.FileName)));
        Assert.Equal(TinyRlSetup.Weights(options.Output), TinyRlSetup.Weights(interrupted));
        Assert.Equal(TinyRlSetup.Weights(Path.Combine(options.Output, "value"), true), TinyRlSetup.Weights(Path.Combine(interrupted, "value"), true));
        // Negative control: another seed gives other samples and another model.
        PpoJob.Run(options.WithTraining(t => t with { Seed = 6 }) with { Output = setup.Folder("other") });
        Assert.NotEqual(TinyRlSetup.Weights(options.Output), TinyRlSetup.Weights(setup.Folder("other")));
    }

    [Theory]
    [InlineData("--reward", "gold", "--world")]
    [InlineData("--num-minibatches", "3", "--num-minibatches")]
    [InlineData("--kl-horizon", "500", "--kl-horizon")]
    [InlineData("--missing-eos-penalty", "often", "--missing-eos-penalty")]
    [InlineData("--kl-estimator", "k4", "--kl-estimator")]
    public void A_bad_option_is_an_error_naming_it_and_leaves_no_run(string option, string value, string named)
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("bad");
        var (exit, _, stderr) = CliAppTests.Run("ppo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--rollout-batch-size", "8", "--max-prompt-length", "24", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(named, stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_missing_EOS_penalty_of_none_keeps_the_score()
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("none");
        var (exit, _, stderr) = CliAppTests.Run("grpo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--max-steps", "1", "--rollout-batch-size", "4", "--num-generations", "2", "--max-new-tokens", "2",
            "--max-prompt-length", "24", "--missing-eos-penalty", "none");
        Assert.True(exit == 0, stderr);
        var rollouts = TinyRlSetup.Lines(Path.Combine(output, RolloutLog.FileName));
        Assert.Contains(rollouts, r => !r["eos"]!.GetValue<bool>());
        Assert.All(rollouts, r => Assert.Equal(r["score"]!.GetValue<double>(), r["reward"]!.GetValue<double>(), 5));
    }

    static void AssertAllChanged(float[][] before, float[][] after)
    {
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.True(!before[i].SequenceEqual(after[i]), $"parameter {i} did not change");
    }
}
