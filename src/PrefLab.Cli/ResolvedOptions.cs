using System.CommandLine;
using System.CommandLine.Help;

namespace PrefLab.Cli;

/// <summary>The options a command ran with — command line over config file over defaults — by name without
/// dashes, for run.json ("the resolved config is saved in the run dir").</summary>
public static class ResolvedOptions
{
    public static Dictionary<string, object?> Of(ParseResult parse)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var command = parse.CommandResult.Command;
        var options = command.Options.ToList();
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null;
             parent = parent.Parents.OfType<Command>().FirstOrDefault())
            options.AddRange(parent.Options.Where(o => o.Recursive));
        foreach (var option in options)
        {
            if (option is HelpOption or VersionOption || option == GlobalOptions.Config) continue;
            string name = option.Name.TrimStart('-');
            if (values.ContainsKey(name)) continue;
            var result = parse.GetResult(option);
            object? value = result is null
                ? (option.HasDefaultValue ? option.GetDefaultValue() : null)
                : result.GetValueOrDefault<object?>();
            values[name] = value;
        }
        if (parse.GetValue(GlobalOptions.Config) is FileInfo config) values["config"] = config.FullName;
        return values;
    }
}
