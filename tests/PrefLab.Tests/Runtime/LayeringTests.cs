using System.Text.RegularExpressions;
using Xunit;

namespace PrefLab.Tests.Runtime;

/// <summary>
/// The library's layering, read from its sources: every file's namespace is its folder, and the <c>using</c> graph of
/// the top-level namespaces (PrefLab.Models, PrefLab.Algorithms, ...) has no cycle, so each layer can be read, tested
/// and changed without the ones above it.
/// </summary>
public partial class LayeringTests
{
    static readonly Lazy<string> LibraryRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "PrefLab");
            if (File.Exists(Path.Combine(candidate, "PrefLab.csproj"))) return candidate;
        }
        throw new DirectoryNotFoundException("src/PrefLab not found above " + AppContext.BaseDirectory);
    });

    static IEnumerable<string> Sources() => Directory.EnumerateFiles(LibraryRoot.Value, "*.cs", SearchOption.AllDirectories)
        .Where(f => !Path.GetRelativePath(LibraryRoot.Value, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"^using\s+(?:static\s+)?PrefLab\.(\w+)[\w.]*\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    static string Relative(string file) => Path.GetRelativePath(LibraryRoot.Value, file).Replace(Path.DirectorySeparatorChar, '/');

    [Fact]
    public void Every_file_s_namespace_is_its_folder()
    {
        var wrong = new List<string>();
        foreach (string file in Sources())
        {
            string folder = Path.GetDirectoryName(Relative(file))!.Replace('/', '.');
            string expected = folder.Length == 0 ? "PrefLab" : "PrefLab." + folder;
            string? actual = NamespaceLine().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value : null;
            if (actual != expected) wrong.Add($"{Relative(file)}: namespace {actual ?? "(none)"}, folder says {expected}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>Top-level namespace -> the top-level namespaces its files use, with the files that do.</summary>
    static Dictionary<string, Dictionary<string, List<string>>> UsingGraph()
    {
        var graph = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        foreach (string file in Sources())
        {
            string relative = Relative(file);
            string text = File.ReadAllText(file);
            string from = relative.Contains('/') ? relative[..relative.IndexOf('/')] : "";
            var uses = graph.TryGetValue(from, out var existing) ? existing : graph[from] = new(StringComparer.Ordinal);
            foreach (Match m in UsingLine().Matches(text))
            {
                string to = m.Groups[1].Value;
                if (to == from) continue;
                (uses.TryGetValue(to, out var files) ? files : uses[to] = []).Add(relative);
            }
        }
        return graph;
    }

    /// <summary>Strongly connected components with more than one namespace (Tarjan): each is a cycle.</summary>
    static List<List<string>> Cycles(Dictionary<string, Dictionary<string, List<string>>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (string w in graph.TryGetValue(v, out var edges) ? edges.Keys.ToList() : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string popped;
            do { popped = stack.Pop(); onStack.Remove(popped); component.Add(popped); } while (popped != v);
            if (component.Count > 1) cycles.Add(component);
        }
        foreach (string v in graph.Keys.Order(StringComparer.Ordinal)) if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }

    [Fact]
    public void The_top_level_namespaces_use_one_another_without_a_cycle()
    {
        var graph = UsingGraph();
        Assert.Contains("Models", graph.Keys);
        var cycles = Cycles(graph);
        string Explain(List<string> cycle) => string.Join("; ", cycle.SelectMany(a => cycle.Where(b => b != a && graph[a].ContainsKey(b))
            .Select(b => $"{a} -> {b} ({string.Join(", ", graph[a][b].Distinct().Take(3))})")));
        Assert.True(cycles.Count == 0, "namespace cycles: " + string.Join("\n", cycles.Select(Explain)));
        // The lowest layers stay low: Runtime uses no other PrefLab namespace, Models only Runtime.
        Assert.Empty(graph["Runtime"].Keys);
        Assert.Equal(["Runtime"], graph["Models"].Keys);
    }

    /// <summary>The picture in docs/ARCHITECTURE.md ("Layers"): a namespace uses only namespaces on lower layers.</summary>
    static readonly Dictionary<string, int> Layer = new()
    {
        ["Lab"] = 7, ["Evaluation"] = 6, ["Algorithms"] = 5,
        ["Generation"] = 4, ["Training"] = 4, ["World"] = 4, ["Plots"] = 4,
        ["Models"] = 3, ["Data"] = 3, ["Statistics"] = 3,
        ["Text"] = 2, ["Runtime"] = 1,
    };

    [Fact]
    public void Every_use_points_down_the_layers_of_the_architecture_page()
    {
        var graph = UsingGraph();
        var unplaced = graph.Keys.Where(n => n.Length > 0 && !Layer.ContainsKey(n)).ToList();
        Assert.True(unplaced.Count == 0, $"namespaces not in the layer picture (add them to LayeringTests and docs/ARCHITECTURE.md): {string.Join(", ", unplaced)}");
        var upward = graph.Where(g => g.Key.Length > 0).SelectMany(g => g.Value.Where(u => Layer[u.Key] >= Layer[g.Key])
            .Select(u => $"{g.Key} -> {u.Key} ({string.Join(", ", u.Value.Distinct().Take(3))})")).ToList();
        Assert.True(upward.Count == 0, "uses that point up or sideways: " + string.Join("; ", upward));
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle()
    {
        var graph = new Dictionary<string, Dictionary<string, List<string>>>
        {
            ["A"] = new() { ["B"] = ["a.cs"] },
            ["B"] = new() { ["C"] = ["b.cs"] },
            ["C"] = new() { ["A"] = ["c.cs"] },
            ["D"] = new() { ["A"] = ["d.cs"] },
        };
        var cycle = Assert.Single(Cycles(graph));
        Assert.Equal(["A", "B", "C"], cycle.Order());
    }
}
