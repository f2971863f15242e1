using Xunit;

namespace PrefLab.Tests.Architecture;

/// <summary>
/// The library's layering, read from its sources (see <see cref="NamespaceGraph"/> for what counts as a use): every
/// file's namespace is its folder, and the top-level namespaces (PrefLab.Models, PrefLab.Algorithms, ...) use one
/// another without a cycle and only downwards in the picture of docs/ARCHITECTURE.md ("Layers"), so each layer can
/// be read, tested and changed without the ones above it.
/// </summary>
public class LayeringTests
{
    /// <summary>The picture in docs/ARCHITECTURE.md ("Layers"), bottom = 1: a namespace uses only lower layers.</summary>
    static readonly Dictionary<string, int> Layer = new()
    {
        ["Lab"] = 6,
        ["Algorithms"] = 5, ["Evaluation"] = 5,
        ["Generation"] = 4, ["Training"] = 4, ["World"] = 4, ["Plots"] = 4, ["Rewards"] = 4,
        ["Models"] = 3, ["Data"] = 3, ["Statistics"] = 3,
        ["Text"] = 2, ["Runtime"] = 1,
    };

    [Fact]
    public void Every_file_s_namespace_is_its_folder()
    {
        var wrong = new List<string>();
        foreach (var file in LibrarySources.All.Value)
        {
            string folder = Path.GetDirectoryName(file.Path)!.Replace('\\', '/').Replace('/', '.');
            string expected = folder.Length == 0 ? "PrefLab" : "PrefLab." + folder;
            if (file.Namespace != expected) wrong.Add($"{file.Path}: namespace {file.Namespace ?? "(none)"}, folder says {expected}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void The_top_level_namespaces_use_one_another_without_a_cycle()
    {
        var graph = NamespaceGraph.Read(LibrarySources.All.Value);
        Assert.Contains("Models", graph.Namespaces);   // the sources were found and read
        var cycles = CycleFinder.Find(graph.Edges);
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles.Select(graph.Describe)));
        // The lowest layers stay low: Runtime uses no other PrefLab namespace, Models only Runtime.
        Assert.Empty(graph.Uses("Runtime"));
        Assert.Equal(["Runtime"], graph.Uses("Models"));
    }

    [Fact]
    public void Every_use_points_down_the_layers_of_the_architecture_page()
    {
        var graph = NamespaceGraph.Read(LibrarySources.All.Value);
        var unplaced = graph.Namespaces.Where(n => !Layer.ContainsKey(n)).ToList();
        Assert.True(unplaced.Count == 0, "namespaces not in the layer picture (add them to LayeringTests.Layer and "
            + $"docs/ARCHITECTURE.md): {string.Join(", ", unplaced)}");
        var upward = graph.Namespaces.SelectMany(from => graph.Uses(from).Where(to => Layer[to] >= Layer[from])
            .Select(to => $"{from} -> {to} ({string.Join(", ", graph.FilesBehind(from, to).Take(3))})")).ToList();
        Assert.True(upward.Count == 0, "uses that point up or sideways: " + string.Join("; ", upward));
    }
}
