using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PrefLab.Runtime;
using YamlDotNet.RepresentationModel;

namespace PrefLab.Lab.Grid;

/// <summary>
/// Reads a grid file's YAML tree (JSON files too: JSON is YAML flow syntax, so both keep line numbers) and
/// turns every problem into a <see cref="UserError"/> naming the file, the line and the key path
/// ("grid.yaml:12: field 'algorithm.ppo.n': ...").
/// </summary>
internal sealed partial class GridYaml(string path)
{
    public string Path { get; } = path;

    public YamlMappingNode LoadRoot(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw UserError.InFile(Path, e.Start.Line, null, "not valid YAML/JSON: " + e.Message);
        }
        if (stream.Documents.Count == 0) throw UserError.InFile(Path, 1, null, "the grid file is empty");
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw UserError.InFile(Path, stream.Documents[0].RootNode.Start.Line, null, "the top level must be a mapping (name: value)");
    }

    public UserError Error(YamlNode node, string field, string what) => UserError.InFile(Path, node.Start.Line, field, what);

    /// <summary>The mapping's entries in file order, with their keys as text.</summary>
    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode mapping, string field)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || key.Length == 0)
                throw Error(keyNode, field, "keys must be plain names");
            if (!seen.Add(key)) throw Error(keyNode, Join(field, key), "appears twice");
            yield return (key, keyNode, value);
        }
    }

    public YamlMappingNode Mapping(YamlNode node, string field, string what = "a mapping (name: value)") =>
        node as YamlMappingNode ?? throw Error(node, field, "expected " + what);

    /// <summary>A scalar as a typed JSON value: quoted text is a string; plain text is a bool, a whole number,
    /// a number, or a string. Null and non-finite numbers are refused.</summary>
    public JsonNode Scalar(YamlNode node, string field)
    {
        if (node is YamlSequenceNode sequence)
            return new JsonArray(sequence.Children.Select(child => (JsonNode?)Scalar(child, field)).ToArray());
        if (node is not YamlScalarNode scalar) throw Error(node, field, "expected a value, not a mapping");
        string text = scalar.Value ?? "";
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted
            or YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded)
            return JsonValue.Create(text);
        if (text is "" or "~" or "null" or "Null" or "NULL") throw Error(node, field, "has no value");
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (WholeNumberPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole))
            return JsonValue.Create(whole);
        if (RealNumberPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real))
        {
            if (!double.IsFinite(real)) throw Error(node, field, $"'{text}' is not a finite number");
            return JsonValue.Create(real);
        }
        if (text.StartsWith('.') && text.TrimStart('.').ToLowerInvariant() is "inf" or "nan")
            throw Error(node, field, $"'{text}' is not a finite number");
        return JsonValue.Create(text);
    }

    public string Text(YamlNode node, string field) =>
        Scalar(node, field) is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
            ? s
            : throw Error(node, field, "expected a name or path (text)");

    public long WholeNumber(YamlNode node, string field, long min)
    {
        if (Scalar(node, field) is JsonValue v && v.TryGetValue<long>(out var n) && n >= min) return n;
        throw Error(node, field, $"expected a whole number ≥ {min}");
    }

    public bool Bool(YamlNode node, string field) =>
        Scalar(node, field) is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Error(node, field, "expected true or false");

    /// <summary>A trainer option's key in canonical form: the command-line name without dashes, with
    /// underscores read as hyphens (<c>max_steps</c> is <c>max-steps</c>).</summary>
    public string OptionKey(YamlNode keyNode, string key, string field)
    {
        string canonical = key.TrimStart('-').Replace('_', '-').ToLowerInvariant();
        if (!OptionNamePattern().IsMatch(canonical))
            throw Error(keyNode, field, $"'{key}' is not an option name (letters, digits and hyphens)");
        return canonical;
    }

    public static string Join(string field, string key) => field.Length == 0 ? key : field + "." + key;

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex WholeNumberPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex RealNumberPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex OptionNamePattern();
}
