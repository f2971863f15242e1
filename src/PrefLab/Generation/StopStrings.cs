namespace PrefLab.Generation;

/// <summary>Finds stop strings in decoded text.</summary>
public static class StopStrings
{
    /// <summary>The stop string that occurs earliest in <paramref name="text"/> (the longest of those starting at
    /// the same index) and where, or null. Ordinal comparison.</summary>
    public static (string Stop, int Index)? FindEarliest(string text, IReadOnlyList<string> stops)
    {
        (string Stop, int Index)? best = null;
        foreach (string stop in stops)
        {
            int index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index < 0) continue;
            if (best is null || index < best.Value.Index || (index == best.Value.Index && stop.Length > best.Value.Stop.Length))
                best = (stop, index);
        }
        return best;
    }
}
