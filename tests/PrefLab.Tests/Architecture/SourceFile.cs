using System.Text.RegularExpressions;

namespace PrefLab.Tests.Architecture;

/// <summary>One C# file of the library: its path (relative, '/'-separated), its code without comments and strings,
/// the namespace it declares and the type names it declares there.</summary>
public sealed partial record SourceFile(string Path, string Code, string? Namespace, IReadOnlyList<string> Types)
{
    public static SourceFile Parse(string path, string source)
    {
        string code = CodeText.WithoutCommentsAndStrings(source);
        string? ns = NamespaceLine().Match(code) is { Success: true } m ? m.Groups[1].Value : null;
        var types = TypeDeclaration().Matches(code).Select(t => t.Groups[1].Value)
            .Concat(DelegateDeclaration().Matches(code).Select(t => t.Groups[1].Value)).Distinct().ToList();
        return new SourceFile(path, code, ns, types);
    }

    /// <summary>The first segment under PrefLab: "Algorithms" for PrefLab.Algorithms.Dpo, "" for PrefLab itself.</summary>
    public string? TopLevel => Namespace is null ? null : TopLevelOf(Namespace);

    public static string? TopLevelOf(string ns)
    {
        string[] parts = ns.Split('.');
        return parts[0] != "PrefLab" ? null : parts.Length > 1 ? parts[1] : "";
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    // "record struct X" and "record class X" name X; a stray match such as "class where" (a constraint) only adds a
    // name that no code qualifies with a namespace.
    [GeneratedRegex(@"\b(?:record\s+(?:struct|class)|class|struct|interface|enum|record)\s+(@?\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\bdelegate\s+[\w<>\[\],.?\s]+?\s(\w+)\s*[<(]")]
    private static partial Regex DelegateDeclaration();
}
