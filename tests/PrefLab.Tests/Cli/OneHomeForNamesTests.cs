using System.CommandLine;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Cli.Commands;
using PrefLab.Cli.Lab;
using PrefLab.Cli;
using PrefLab.Data.Binarization;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Grid;
using PrefLab.Tests.Lab;
using PrefLab.Text.Chat;
using PrefLab.Training;
using Xunit;

namespace PrefLab.Tests.Cli;

/// <summary>Every list of names and every default has one home in the library; the CLI's help, its parsed
/// defaults and the lab's grid reader all read it.</summary>
public class OneHomeForNamesTests
{
    static IEnumerable<(string Path, Option Option)> Options(Command command, string path)
    {
        foreach (var option in command.Options) yield return (path, option);
        foreach (var sub in command.Subcommands)
            foreach (var found in Options(sub, path + " " + sub.Name)) yield return found;
    }

    static List<(string Path, Option Option)> AllOptions(string name) =>
        Options(CliApp.BuildRoot(), "preflab").Where(o => o.Option.Name == name).ToList();

    [Fact]
    public void Every_chat_format_option_lists_every_built_in_format()
    {
        var options = AllOptions("--chat-format");
        Assert.True(options.Count >= 10, $"{options.Count} commands with --chat-format");
        foreach (var (path, option) in options)
            foreach (var format in ChatFormats.All)
                Assert.True(option.Description!.Contains(format.Name, StringComparison.Ordinal), $"{path} --chat-format: help does not name {format.Name}: {option.Description}");
    }

    [Fact]
    public void Every_binarize_option_lists_every_strategy_and_accepts_it()
    {
        var options = AllOptions("--binarize");
        Assert.NotEmpty(options);
        foreach (var (path, option) in options)
            foreach (string strategy in BinarizeOptions.StrategyNames)
                Assert.True(option.Description!.Contains(strategy, StringComparison.Ordinal), $"{path} --binarize: help does not name {strategy}");
        foreach (string strategy in BinarizeOptions.StrategyNames) BinarizeOptions.FromStrategy(strategy);
    }

    [Fact]
    public void A_grid_accepts_every_binarize_strategy_the_CLI_accepts()
    {
        using var dir = new TempDir();
        foreach (string strategy in BinarizeOptions.StrategyNames)
        {
            var grid = GridFile.Load(LabGrids.Write(dir, LabGrids.Study.Replace("binarize: mean-aspects", $"binarize: {strategy}"), $"{strategy}.yaml"));
            Assert.Equal(strategy, grid.Data[1].Settings.GetString("binarize"));
        }
    }

    [Fact]
    public void A_grid_binarized_best_random_runs()
    {
        using var dir = new TempDir();
        string grid = LabGrids.Write(dir, """
            name: best-random
            world: { seed: 3, scale: small }
            pretrain: { preset: tiny-test, data: world:pretrain, max-steps: 1, max-length: 64 }
            sft: { data: world:sft, max-steps: 1, max-length: 64 }
            data:
              uf: { file: world:ultrafeedback, binarize: best-random }
            algorithm:
              dpo: { max-steps: 1, max-length: 64 }
            evaluation: { suite: world, limit: 1, max-new-tokens: 2 }
            seeds: [1]
            """);
        var result = LabRunner.Run(grid, dir.File("lab"), new LabExecutor(), LabGrids.Quiet());
        Assert.True(result.Complete);
        string dpoLog = Directory.GetFiles(dir.File("lab/work/policy"), LabExecutor.LogFile, SearchOption.AllDirectories).Single();
        Assert.Contains("--binarize best-random", File.ReadAllText(dpoLog));
    }

    [Fact]
    public void Online_RL_commands_show_and_apply_the_library_defaults()
    {
        var root = CliApp.BuildRoot();
        var ppo = ResolvedOptions.Of(root.Parse(["ppo", "--policy", "p", "--prompts", "q", "--output", "o", "--reward-model", "r"]));
        var library = new PpoJobOptions { Policy = "", Prompts = "", Output = "" };
        var training = new TrainingOptions();
        var expected = new Dictionary<string, object?>
        {
            ["kl-coef"] = library.KlCoef, ["kl-estimator"] = KlEstimators.Name(library.KlEstimator), ["kl-horizon"] = library.KlHorizon,
            ["gamma"] = library.Gamma, ["lam"] = library.Lambda, ["cliprange"] = library.ClipRange, ["cliprange-value"] = library.ClipRangeValue,
            ["vf-coef"] = library.VfCoef, ["max-prompt-length"] = library.MaxPromptLength, ["temperature"] = library.Temperature,
            ["max-new-tokens"] = library.MaxNewTokens, ["rollout-batch-size"] = library.RolloutBatchSize,
            ["generation-batch-size"] = library.GenerationBatchSize, ["ppo-epochs"] = library.PpoEpochs, ["num-minibatches"] = library.NumMinibatches,
            ["rollout-log-every"] = library.RolloutLogEvery, ["lr"] = library.Training.Lr, ["epochs"] = library.Training.Epochs, ["batch-size"] = library.ForwardBatchSize,
            ["seed"] = library.Training.Seed, ["clip-norm"] = library.Training.ClipNorm, ["beta1"] = library.Training.Beta1, ["beta2"] = library.Training.Beta2,
            ["keep-checkpoints"] = library.Training.KeepCheckpoints, ["log-every"] = library.Training.LogEvery,
        };
        foreach (var (name, value) in expected) Assert.True(Equals(value, ppo[name]), $"ppo --{name}: CLI default {ppo[name]}, library {value}");
        Assert.Equal(library.MissingEosPenalty, double.Parse((string)ppo["missing-eos-penalty"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(training.Seed, library.Training.Seed);

        var rloo = ResolvedOptions.Of(root.Parse(["rloo", "--policy", "p", "--prompts", "q", "--output", "o", "--reward-model", "r"]));
        var group = new GroupRlJobOptions { Algorithm = GroupRlAlgorithm.Rloo, Policy = "", Prompts = "", Output = "" };
        Assert.Equal(group.NumGenerations, rloo["num-generations"]);
        Assert.Equal(group.ClipRange, rloo["cliprange"]);
    }
}
