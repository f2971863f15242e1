using System.Text.RegularExpressions;

namespace PrefLab.Tests.Architecture;

/// <summary>
/// Which top-level namespaces of the library (PrefLab.Models, PrefLab.Algorithms, ...) the files of each one refer
/// to, with the files that do. A file refers to a namespace by naming it in code: in a <c>using</c> directive of any
/// form (plain, <c>static</c>, alias, <c>global</c>), in a fully qualified name (<c>PrefLab.Data.Records.Prompt</c>,
/// <c>global::PrefLab...</c>), or in a name qualified from PrefLab down (<c>Models.Lora.LoraConfig</c> inside
/// <c>namespace PrefLab.Algorithms...</c>, which C# resolves through the enclosing PrefLab namespace). Reading only
/// the using lines would miss the last two, which the code uses. Names inside comments and strings do not count.
/// </summary>
public sealed partial class NamespaceGraph
{
    readonly SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> uses = new(StringComparer.Ordinal);

    /// <summary>The top-level namespaces with files, e.g. "Models"; files directly in PrefLab count as "PrefLab".</summary>
    public IReadOnlyCollection<string> Namespaces => uses.Keys;

    /// <summary>The namespaces <paramref name="from"/>'s files refer to (never itself).</summary>
    public IReadOnlyCollection<string> Uses(string from) => uses.TryGetValue(from, out var to) ? to.Keys : [];

    /// <summary>The files of <paramref name="from"/> that refer to <paramref name="to"/>.</summary>
    public IReadOnlyCollection<string> FilesBehind(string from, string to) =>
        uses.TryGetValue(from, out var edges) && edges.TryGetValue(to, out var files) ? files : [];

    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Edges =>
        uses.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<string>)kv.Value.Keys, StringComparer.Ordinal);

    /// <summary>"A -> B -> A (A -> B: a.cs; B -> A: b.cs, c.cs)": a cycle with up to three files behind each step.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var steps = cycle.Zip(cycle.Skip(1), (a, b) => $"{a} -> {b}: {string.Join(", ", FilesBehind(a, b).Take(3))}");
        return $"{string.Join(" -> ", cycle)} ({string.Join("; ", steps)})";
    }

    public static NamespaceGraph Read(IReadOnlyList<SourceFile> files)
    {
        var library = new Declarations(files);
        var graph = new NamespaceGraph();
        foreach (var file in files)
        {
            if (file.TopLevel is not { } top) continue;
            string from = Label(top);
            var edges = graph.uses.TryGetValue(from, out var existing) ? existing : graph.uses[from] = new(StringComparer.Ordinal);
            foreach (string to in library.ReferencedTopLevels(file).Select(Label).Where(to => to != from))
                (edges.TryGetValue(to, out var behind) ? behind : edges[to] = new(StringComparer.Ordinal)).Add(file.Path);
        }
        return graph;
    }

    static string Label(string topLevel) => topLevel.Length == 0 ? "PrefLab" : topLevel;

    /// <summary>A qualified name's first two parts; a part after '.' is not a start (member access on something else).</summary>
    [GeneratedRegex(@"(?<![\w.@])(?:global\s*::\s*)?(?<first>\w+)\s*\.\s*(?<second>\w+)")]
    private static partial Regex QualifiedName();

    /// <summary>The namespaces and types the library declares, to tell a namespace-qualified name from member access.</summary>
    sealed class Declarations
    {
        readonly HashSet<string> namespaces = new(StringComparer.Ordinal);
        readonly Dictionary<string, HashSet<string>> types = new(StringComparer.Ordinal);
        readonly HashSet<string> topLevels = new(StringComparer.Ordinal);

        public Declarations(IEnumerable<SourceFile> files)
        {
            foreach (var file in files.Where(f => f.Namespace is not null))
            {
                string[] parts = file.Namespace!.Split('.');
                for (int k = 1; k <= parts.Length; k++) namespaces.Add(string.Join('.', parts[..k]));
                if (file.TopLevel is { Length: > 0 } top) topLevels.Add(top);
                (types.TryGetValue(file.Namespace, out var names) ? names : types[file.Namespace] = new(StringComparer.Ordinal)).UnionWith(file.Types);
            }
        }

        bool Declares(string ns, string name) => namespaces.Contains(ns + "." + name) || (types.TryGetValue(ns, out var names) && names.Contains(name));

        public IEnumerable<string> ReferencedTopLevels(SourceFile file)
        {
            foreach (Match m in QualifiedName().Matches(file.Code))
            {
                string first = m.Groups["first"].Value, second = m.Groups["second"].Value;
                if (first == "PrefLab")
                {
                    if (topLevels.Contains(second)) yield return second;
                }
                // Models.Lora.LoraConfig means PrefLab.Models.Lora.LoraConfig only when nothing nearer is called
                // Models and PrefLab.Models declares Lora. A member named like a namespace (a Training property)
                // followed by one of that namespace's type names would count too: that adds an edge, never hides one.
                else if (topLevels.Contains(first) && file.Namespace is { } ns && !ShadowedNearer(ns, first)
                         && Declares("PrefLab." + first, second))
                    yield return first;
            }
        }

        /// <summary>Whether a namespace enclosing <paramref name="ns"/> below PrefLab declares <paramref name="name"/>
        /// (a child namespace or a type), which C# would bind before PrefLab.<paramref name="name"/>.</summary>
        bool ShadowedNearer(string ns, string name)
        {
            string[] parts = ns.Split('.');
            for (int k = parts.Length; k >= 2; k--)
            {
                if (Declares(string.Join('.', parts[..k]), name)) return true;
            }
            return false;
        }
    }
}
