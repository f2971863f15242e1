using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;
using PrefLab.Training.Commands;

namespace PrefLab.Cli.Commands.Training;

/// <summary>
/// The library's option specs as System.CommandLine options: the CLI adds them to a command, and reads a parse back
/// into <see cref="OptionValues"/> — only what the command line (or --config) gave; every default and check stays the
/// library's.
/// </summary>
public static class SpecOptions
{
    public sealed record Bound(IReadOnlyList<OptionSpec> Specs, IReadOnlyList<Option> Options);

    public static Bound AddTo(Command command, IReadOnlyList<OptionSpec> specs)
    {
        var options = specs.Select(spec => spec.Accept(new CliOptionBuilder())).ToList();
        foreach (var option in options) command.Options.Add(option);
        return new Bound(specs, options);
    }

    /// <summary>One spec as a typed System.CommandLine option (for commands that read a parse themselves).</summary>
    public static Option<T> ToOption<T>(OptionSpec<T> spec) => (Option<T>)spec.Accept(new CliOptionBuilder());

    /// <summary>The given values (explicit tokens), plus the global options run.json has always recorded.</summary>
    public static OptionValues Read(ParseResult parse, Bound bound)
    {
        var given = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < bound.Specs.Count; i++)
            if (parse.GetResult(bound.Options[i]) is OptionResult { Implicit: false } result)
                given[bound.Specs[i].Name] = result.GetValueOrDefault<object?>();
        var values = new OptionValues(bound.Specs, given);
        foreach (var (name, value) in GlobalValues(parse)) values.AlsoRecord(name, value);
        return values;
    }

    /// <summary>A library training command as a CLI command: parse, run, print the summary.</summary>
    public static Command Create(ITrainingCommand training, string? name = null)
    {
        var command = new Command(name ?? training.Name, training.Description);
        var bound = AddTo(command, training.Options);
        var output = (OptionSpec<string>)training.Options.First(o => o.Name == "output");
        command.SetAction(parse =>
        {
            var values = Read(parse, bound);
            var result = training.Run(values, parse.InvocationConfiguration.Error);
            TrainingSummary.Print(parse.InvocationConfiguration.Output, training.Name, values.Get(output), result);
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>The recursive options of the command's parents (--threads, --verbose) and --config's file.</summary>
    static IEnumerable<(string, object?)> GlobalValues(ParseResult parse)
    {
        for (var parent = parse.CommandResult.Command.Parents.OfType<Command>().FirstOrDefault(); parent is not null;
             parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in parent.Options.Where(o => o.Recursive))
            {
                if (option is HelpOption or VersionOption || option == GlobalOptions.Config) continue;
                var result = parse.GetResult(option);
                yield return (option.Name.TrimStart('-'), result is null
                    ? (option.HasDefaultValue ? option.GetDefaultValue() : null)
                    : result.GetValueOrDefault<object?>());
            }
        if (parse.GetValue(GlobalOptions.Config) is FileInfo config) yield return ("config", config.FullName);
    }

    sealed class CliOptionBuilder : IOptionSpecVisitor<Option>
    {
        public Option Visit<T>(OptionSpec<T> spec)
        {
            var option = new Option<T>("--" + spec.Name) { Description = spec.Description, HelpName = spec.HelpName, Required = spec.Required };
            if (spec.Default is { } makeDefault) option.DefaultValueFactory = _ => makeDefault();
            if (spec.Parser is not null)
                option.CustomParser = result =>
                {
                    if (result.Tokens.Count == 0) return spec.DefaultOrDefault;
                    try
                    {
                        return spec.ParseTyped([result.Tokens[^1].Value]);
                    }
                    catch (UserError error)
                    {
                        result.AddError(error.Message);
                        return spec.DefaultOrDefault;
                    }
                };
            return option;
        }
    }
}
