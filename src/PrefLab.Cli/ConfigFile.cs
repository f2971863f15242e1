using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using YamlDotNet.RepresentationModel;

namespace PrefLab.Cli;

/// <summary>
/// <c>--config FILE</c>: a YAML or JSON mapping whose keys are option names (without dashes). Its values are
/// appended to the command line for every option the command line does not already give, so the command
/// line wins and the parser validates both the same way.
/// </summary>
public static class ConfigFile
{
    public static string[] Merge(string[] args, string path, Command command)
    {
        var values = Read(path);
        var options = OptionsOf(command);
        var merged = new List<string>(args);
        foreach (var (key, value) in values)
        {
            string name = "--" + key.TrimStart('-');
            if (name == "--config") continue;
            if (!options.TryGetValue(name, out var option))
                throw new UserError($"{path}: key '{key}' is not an option of '{CommandPath(command)}'");
            bool given = args.Any(a => a == name || a.StartsWith(name + "=", StringComparison.Ordinal) ||
                option.Aliases.Contains(a));
            if (given) continue;
            foreach (string token in Tokens(value, path, key))
            {
                merged.Add(name);
                merged.Add(token);
            }
        }
        return merged.ToArray();
    }

    /// <summary>The file's keys and their values as strings (a list gives several values).</summary>
    public static IReadOnlyList<(string Key, object Value)> Read(string path)
    {
        if (!File.Exists(path)) throw UserError.InOption("config", $"file not found: {path}");
        string text = File.ReadAllText(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return extension == ".json" ? ReadJson(text, path) : ReadYaml(text, path);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new UserError($"{path}: not valid {(extension == ".json" ? "JSON" : "YAML")}: {e.Message}");
        }
    }

    static List<(string, object)> ReadJson(string text, string path)
    {
        var root = JsonNode.Parse(text) as JsonObject ?? throw new UserError($"{path}: the top level must be an object of option names");
        var result = new List<(string, object)>();
        foreach (var (key, node) in root)
        {
            object value = node switch
            {
                JsonArray array => array.Select(item => Scalar(item, path, key)).ToList(),
                _ => Scalar(node, path, key),
            };
            result.Add((key, value));
        }
        return result;
    }

    static string Scalar(JsonNode? node, string path, string key) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => throw new UserError($"{path}: key '{key}': expected a value or a list of values"),
    };

    static List<(string, object)> ReadYaml(string text, string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var result = new List<(string, object)>();
        if (stream.Documents.Count == 0) return result;
        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
            throw new UserError($"{path}: the top level must be a mapping of option names");
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            int line = (int)keyNode.Start.Line;
            object value = valueNode switch
            {
                YamlScalarNode scalar => scalar.Value ?? "",
                YamlSequenceNode sequence => sequence.Children.Select(c => (c as YamlScalarNode)?.Value ??
                    throw new UserError($"{path}:{line}: key '{key}': list items must be plain values")).ToList(),
                _ => throw new UserError($"{path}:{line}: key '{key}': expected a value or a list of values"),
            };
            result.Add((key, value));
        }
        return result;
    }

    static IEnumerable<string> Tokens(object value, string path, string key) => value switch
    {
        string s => new[] { s },
        IEnumerable<string> list => list,
        _ => throw new UserError($"{path}: key '{key}': unsupported value"),
    };

    static Dictionary<string, Option> OptionsOf(Command command)
    {
        var options = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var option in command.Options) options[option.Name] = option;
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null;
             parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in parent.Options.Where(o => o.Recursive)) options.TryAdd(option.Name, option);
        return options;
    }

    static string CommandPath(Command command)
    {
        var names = new List<string> { command.Name };
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null;
             parent = parent.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, parent.Name);
        return string.Join(' ', names);
    }
}
