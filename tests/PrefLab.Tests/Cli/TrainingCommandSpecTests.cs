using System.CommandLine;
using PrefLab.Algorithms;
using PrefLab.Cli;
using PrefLab.Cli.Commands.Training;
using PrefLab.Runtime.Options;
using Xunit;

namespace PrefLab.Tests.Cli;

/// <summary>The CLI's training commands are the library's specs: the same options, defaults and values, so a grid's
/// settings (read by the library) and a command line (parsed by System.CommandLine) mean the same.</summary>
public class TrainingCommandSpecTests
{
    static Command CliCommand(string name)
    {
        var parts = name.Split(' ');
        Command command = CliApp.BuildRoot();
        foreach (string part in parts) command = command.Subcommands.Single(c => c.Name == part);
        return command;
    }

    public static TheoryData<string> Names() => new(TrainingCommands.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void The_CLI_offers_exactly_the_specs_options_with_their_defaults_and_help(string name)
    {
        var training = TrainingCommands.Named(name);
        var options = CliCommand(name).Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help").ToList();
        Assert.Equal(training.Options.Select(s => "--" + s.Name), options.Select(o => o.Name));
        foreach (var (spec, option) in training.Options.Zip(options))
        {
            Assert.Equal(spec.Description, option.Description);
            Assert.Equal(spec.Required, option.Required);
            Assert.Equal(spec.ValueType, option.ValueType);
            Assert.Equal(spec.DefaultValue, option.HasDefaultValue ? option.GetDefaultValue() : spec.ValueType == typeof(bool) ? false : null);
        }
    }

    [Theory]
    [InlineData("sft", new[] { "--model", "m", "--data", "d.jsonl", "--output", "o", "--lr", "3e-4", "--pack", "--lr-schedule", "cosine", "--lora-r", "4", "--precision", "fp32" })]
    [InlineData("rm train", new[] { "--model", "m", "--data", "d.jsonl", "--output", "o", "--margin", "--margin-scale", "2", "--max-steps", "5" })]
    [InlineData("dpo", new[] { "--model", "m", "--data", "d.jsonl", "--output", "o", "--beta", "0.5", "--ref-cache", "off", "--truncation", "drop" })]
    [InlineData("ppo", new[] { "--policy", "p", "--prompts", "q.jsonl", "--output", "o", "--reward-model", "a", "--reward-model", "b", "--kl-coef", "0.1", "--total-episodes", "64", "--whiten-rewards" })]
    [InlineData("grpo", new[] { "--policy", "p", "--prompts", "q.jsonl", "--output", "o", "--reward", "gold", "--no-scale-rewards", "--num-generations", "8" })]
    public void A_command_line_read_by_the_CLI_and_by_the_library_gives_the_same_values(string name, string[] tokens)
    {
        var training = TrainingCommands.Named(name);
        var command = new Command("probe");
        var bound = SpecOptions.AddTo(command, training.Options);
        var root = new RootCommand { command };
        var parse = root.Parse(["probe", .. tokens]);
        Assert.Empty(parse.Errors);
        var byCli = SpecOptions.Read(parse, bound).Recorded();
        var byLibrary = OptionValues.FromTokens(training.Options, tokens, name).Recorded();
        Assert.Equal(byLibrary.Keys.Order(), byCli.Keys.Order());
        foreach (var (key, value) in byLibrary)
            Assert.True(Equal(value, byCli[key]), $"{name} --{key}: library {value} against CLI {byCli[key]}");
    }

    static bool Equal(object? a, object? b) => a is string[] x && b is string[] y ? x.SequenceEqual(y) : Equals(a, b);
}
