
namespace PrefLab.Data.Collation;

/// <summary>What packing made of a set of sequences (run.json's <c>packing</c> entry).</summary>
public sealed record PackingReport(int Examples, int Rows, int RowLength, long Tokens)
{
    /// <summary>Real tokens over the rows' capacity: 1 means no padding at all.</summary>
    public double Fill => Rows == 0 ? 0 : (double)Tokens / ((long)Rows * RowLength);
    public double ExamplesPerRow => Rows == 0 ? 0 : (double)Examples / Rows;
}

/// <summary>
/// SFT packing: several tokenized examples share one row of at most <c>rowLength</c> tokens, each tagged with its
/// segment id (1, 2, ...) so the model's attention stays inside each example and positions restart at 0 — a packed
/// example gets the same logits as alone. Rows are filled best-fit decreasing (longest example first, into the
/// fullest row it still fits: TRL's "bfd" strategy), which is deterministic and leaves little space; no example is
/// split. The first token of every segment is never a target (it would be predicted from another example).
/// </summary>
public static class SequencePacker
{
    public static List<TokenizedSequence> Pack(IReadOnlyList<TokenizedSequence> sequences, int rowLength, out PackingReport report)
    {
        if (rowLength < 2) throw new ArgumentOutOfRangeException(nameof(rowLength), $"rows must hold at least 2 tokens, not {rowLength}");
        var order = Enumerable.Range(0, sequences.Count)
            .OrderByDescending(i => sequences[i].Length).ThenBy(i => i).ToList();
        var rows = new List<List<int>>();
        var used = new List<int>();
        // Open rows by (free space, row index): the best fit is the first with free space >= the example's length.
        var open = new SortedSet<(int Free, int Row)>();
        foreach (int i in order)
        {
            int length = sequences[i].Length;
            if (length > rowLength) throw new ArgumentException($"example {i} has {length} tokens, more than a packed row's {rowLength}; truncate or drop it first");
            if (length == 0) continue;
            var fits = open.GetViewBetween((length, int.MinValue), (int.MaxValue, int.MaxValue));
            int row;
            if (fits.Count > 0)
            {
                var best = fits.Min;
                open.Remove(best);
                row = best.Row;
            }
            else
            {
                row = rows.Count;
                rows.Add(new List<int>());
                used.Add(0);
            }
            rows[row].Add(i);
            used[row] += length;
            if (used[row] < rowLength) open.Add((rowLength - used[row], row));
        }

        var packed = new List<TokenizedSequence>(rows.Count);
        long tokens = 0;
        int examples = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            var ids = new int[used[r]];
            var loss = new bool[used[r]];
            var segments = new int[used[r]];
            int offset = 0;
            for (int k = 0; k < rows[r].Count; k++)
            {
                var s = sequences[rows[r][k]];
                Array.Copy(s.Ids, 0, ids, offset, s.Length);
                Array.Copy(s.LossMask, 0, loss, offset, s.Length);
                loss[offset] = false;
                Array.Fill(segments, k + 1, offset, s.Length);
                offset += s.Length;
            }
            packed.Add(new TokenizedSequence(ids, loss, segments));
            tokens += used[r];
            examples += rows[r].Count;
        }
        report = new PackingReport(examples, packed.Count, rowLength, tokens);
        return packed;
    }
}
