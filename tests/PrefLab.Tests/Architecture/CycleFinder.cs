namespace PrefLab.Tests.Architecture;

/// <summary>
/// The cycles of a directed graph, one for each strongly connected component that has one (Tarjan's algorithm),
/// each given as a closed path such as [A, B, C, A]: the shortest cycle through the component's first node in
/// ordinal order, so that a failure message names a cycle one can follow file by file and the same graph always
/// names the same one.
/// </summary>
public static class CycleFinder
{
    public static IReadOnlyList<IReadOnlyList<string>> Find(IReadOnlyDictionary<string, IReadOnlyCollection<string>> edges)
    {
        IEnumerable<string> Next(string v) => edges.TryGetValue(v, out var to) ? to : [];
        var cycles = new List<IReadOnlyList<string>>();
        foreach (var component in StronglyConnected(edges.Keys.Order(StringComparer.Ordinal), Next))
        {
            string start = component.Min(StringComparer.Ordinal)!;
            bool selfLoop = Next(start).Contains(start);
            if (component.Count > 1 || selfLoop) cycles.Add(ShortestCycle(start, component, Next));
        }
        return cycles.OrderBy(c => c[0], StringComparer.Ordinal).ToList();
    }

    static List<HashSet<string>> StronglyConnected(IEnumerable<string> nodes, Func<string, IEnumerable<string>> next)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<HashSet<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (string w in next(v).Order(StringComparer.Ordinal))
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new HashSet<string>(StringComparer.Ordinal);
            string popped;
            do { popped = stack.Pop(); onStack.Remove(popped); component.Add(popped); } while (popped != v);
            components.Add(component);
        }
        foreach (string v in nodes) if (!index.ContainsKey(v)) Visit(v);
        return components;
    }

    /// <summary>Breadth-first from <paramref name="start"/> inside its component back to itself.</summary>
    static IReadOnlyList<string> ShortestCycle(string start, HashSet<string> component, Func<string, IEnumerable<string>> next)
    {
        var cameFrom = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            string v = queue.Dequeue();
            foreach (string w in next(v).Where(component.Contains).Order(StringComparer.Ordinal))
            {
                if (w == start)
                {
                    var path = new List<string> { start };
                    for (string at = v; at != start; at = cameFrom[at]) path.Insert(1, at);
                    path.Add(start);
                    return path;
                }
                if (cameFrom.TryAdd(w, v)) queue.Enqueue(w);
            }
        }
        throw new InvalidOperationException($"{start} is in a strongly connected component but on no cycle");
    }
}
