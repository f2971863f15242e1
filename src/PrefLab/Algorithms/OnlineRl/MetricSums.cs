namespace PrefLab.Algorithms.OnlineRl;

/// <summary>Means over minibatches of per-minibatch metrics (TRL averages its statistics the same way).</summary>
public sealed class MetricSums
{
    readonly Dictionary<string, (double Sum, int Count)> sums = new();

    public void Add(IReadOnlyDictionary<string, double> values)
    {
        foreach (var (name, v) in values)
            sums[name] = sums.TryGetValue(name, out var s) ? (s.Sum + v, s.Count + 1) : (v, 1);
    }

    public double Mean(string name) => sums.TryGetValue(name, out var s) && s.Count > 0 ? s.Sum / s.Count : 0;
}
