using System.Text.Json.Nodes;
using PrefLab.Algorithms.OnlineDpo;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Tests.Algorithms.OnlineRl;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Generation;
using PrefLab.Training.Checkpoints;
using Xunit;

namespace PrefLab.Tests.Algorithms.OnlineDpo;

/// <summary><c>preflab online-dpo</c> end to end on tiny models: first-step invariants, outputs, resume, option errors.</summary>
public class OnlineDpoRunTests : SingleThreadedTests
{
    static OnlineDpoJobOptions Options(TinyRlSetup setup, string output) => new()
    {
        Policy = setup.Policy, RewardModel = setup.RewardModel, Prompts = setup.Prompts, Output = setup.Folder(output),
        MaxPromptLength = TinyRlSetup.MaxPromptLength, MaxNewTokens = 8, RolloutBatchSize = 4, NumGenerations = 3, GenerationBatchSize = 12,
        ForwardBatchSize = 4, Training = OnlineRlOptions.DefaultTraining with { MaxSteps = 3, Lr = 1e-2, Seed = 5 }, RolloutLogEvery = 1,
    };

    [Fact]
    public void The_first_update_starts_at_the_reference_loss_ln2_and_a_few_updates_change_every_parameter()
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("online-dpo");
        var (exit, stdout, stderr) = CliAppTests.Run("online-dpo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--max-steps", "3", "--lr", "1e-2", "--rollout-batch-size", "4", "--num-generations", "3", "--max-new-tokens", "8",
            "--max-prompt-length", TinyRlSetup.MaxPromptLength.ToString(), "--batch-size", "4", "--seed", "3");
        Assert.True(exit == 0, stderr);
        Assert.Contains("online-dpo: 3 steps; model saved to", stdout);
        var before = TinyRlSetup.Weights(setup.Policy);
        var after = TinyRlSetup.Weights(output);
        for (int i = 0; i < before.Length; i++) Assert.True(!before[i].SequenceEqual(after[i]), $"parameter {i} did not change");

        var metrics = TinyRlSetup.Lines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(3, metrics.Count);
        foreach (string name in new[] { "objective/scores", "objective/kl", "objective/scores_margin", "rewards/chosen", "rewards/rejected",
                     "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "loss/policy", "pairs", "pairs/ties", "pairs/flipped",
                     "val/contain_eos_token", "beta", "lr", "grad_norm" })
            Assert.True(metrics[0][name] is not null, $"metric {name} missing");
        // Update 1, one minibatch: the policy is the reference, so every pair's loss is ln 2 and its implicit rewards 0.
        var first = metrics[0];
        Assert.Equal(Math.Log(2), first["loss/policy"]!.GetValue<double>(), 5);
        Assert.Equal(0, first["rewards/margins"]!.GetValue<double>(), 5);
        Assert.Equal(0, first["objective/kl"]!.GetValue<double>());
        Assert.True(first["pairs"]!.GetValue<double>() + first["pairs/ties"]!.GetValue<double>() == 4, "one pair or one tie per prompt");
        Assert.True(first["objective/scores_margin"]!.GetValue<double>() > 0, "the chosen sample scores above the rejected one");
        // Later updates moved the policy: the chosen responses' implicit reward is above the rejected ones'.
        Assert.NotEqual(Math.Log(2), metrics[2]["loss/policy"]!.GetValue<double>(), 3);

        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!;
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal("online-dpo", run["algorithm"]!["name"]!.GetValue<string>());
        Assert.Equal(3, run["plan"]!["samples_per_prompt"]!.GetValue<long>());
        var rollouts = TinyRlSetup.Lines(Path.Combine(output, RolloutLog.FileName));
        Assert.Equal(12, rollouts.Count);   // update 1: 4 prompts x 3 samples
    }

    [Fact]
    public void A_resumed_run_equals_the_uninterrupted_run_and_label_noise_changes_the_result()
    {
        using var setup = new TinyRlSetup();
        var options = Options(setup, "straight").WithTraining(t => t with { MaxSteps = 4, SaveEvery = 2, WarmupRatio = 0.25 }) with { PpoEpochs = 2, NumMinibatches = 2, LabelNoise = 0.3 };
        OnlineDpoJob.Run(options);
        string interrupted = setup.Folder("interrupted");
        Assert.Throws<OperationCanceledException>(() => OnlineDpoJob.Run(options with
        {
            Output = interrupted,
            AfterStep = s => { if (s == 3) throw new OperationCanceledException("interrupted"); },
        }));
        Assert.Equal(2, new CheckpointStore(Path.Combine(interrupted, "checkpoints"), 2).Latest);
        OnlineDpoJob.Run(options.WithTraining(t => t with { Resume = true }) with { Output = interrupted });

        var a = TinyRlSetup.Lines(Path.Combine(options.Output, "metrics.jsonl"));
        var b = TinyRlSetup.Lines(Path.Combine(interrupted, "metrics.jsonl"));
        Assert.Equal(4, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (var (key, value) in a[i].AsObject().Where(p => !p.Key.StartsWith("time/") && p.Key is not ("elapsed_sec" or "tokens_per_sec")))
                Assert.Equal(value!.ToJsonString(), b[i][key]!.ToJsonString());
        Assert.Equal(TinyRlSetup.Weights(options.Output), TinyRlSetup.Weights(interrupted));
        Assert.True(a.Sum(m => m["pairs/flipped"]!.GetValue<double>()) > 0, "ε = 0.3 swapped some labels");

        // Negative control: the same run without label noise learns other pairs and ends elsewhere.
        OnlineDpoJob.Run(options with { Output = setup.Folder("clean"), LabelNoise = 0 });
        Assert.NotEqual(TinyRlSetup.Weights(options.Output), TinyRlSetup.Weights(setup.Folder("clean")));
    }

    [Theory]
    [InlineData("--num-generations", "1", "--num-generations")]
    [InlineData("--label-noise", "0.7", "--label-noise")]
    [InlineData("--beta", "0", "--beta")]
    [InlineData("--reward", "gold", "--world")]
    public void A_bad_option_is_an_error_naming_it_and_leaves_no_run(string option, string value, string named)
    {
        using var setup = new TinyRlSetup();
        string output = setup.Folder("bad");
        var (exit, _, stderr) = CliAppTests.Run("online-dpo", "--policy", setup.Policy, "--reward-model", setup.RewardModel, "--prompts", setup.Prompts,
            "--output", output, "--rollout-batch-size", "4", "--max-prompt-length", "24", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(named, stderr);
        Assert.False(Directory.Exists(output));
    }
}
