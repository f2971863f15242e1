using Xunit;

namespace PrefLab.Tests.Architecture;

/// <summary>The cycle finder on small hand-made graphs: the negative control showing the layering test can fail.</summary>
public class CycleFinderTests
{
    static IReadOnlyDictionary<string, IReadOnlyCollection<string>> Graph(params (string From, string To)[] edges) =>
        edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.Select(e => e.To).ToList());

    [Fact]
    public void Finds_a_cycle_and_names_it_as_a_path_from_its_first_namespace()
    {
        // D only points into the cycle; E hangs below it.
        var cycles = CycleFinder.Find(Graph(("B", "C"), ("C", "A"), ("A", "B"), ("D", "A"), ("C", "E")));
        Assert.Equal(["A", "B", "C", "A"], Assert.Single(cycles));
    }

    [Fact]
    public void Finds_nothing_in_a_layered_graph()
    {
        Assert.Empty(CycleFinder.Find(Graph(("Lab", "Algorithms"), ("Lab", "Models"), ("Algorithms", "Models"), ("Models", "Runtime"))));
    }

    [Fact]
    public void Names_one_cycle_for_each_tangle_and_the_shortest_through_its_first_namespace()
    {
        // One tangle {A, B, C} holding A -> B -> C -> A and A <-> C; another {X, Y}; a self-use of S.
        var cycles = CycleFinder.Find(Graph(("A", "B"), ("B", "C"), ("C", "A"), ("A", "C"), ("X", "Y"), ("Y", "X"), ("S", "S")));
        Assert.Equal(3, cycles.Count);
        Assert.Equal(["A", "C", "A"], cycles[0]);
        Assert.Equal(["S", "S"], cycles[1]);
        Assert.Equal(["X", "Y", "X"], cycles[2]);
    }
}
