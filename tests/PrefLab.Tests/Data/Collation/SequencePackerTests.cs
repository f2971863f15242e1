using PrefLab.Data.Collation;
using TorchSharp;
using Xunit;

namespace PrefLab.Tests.Data.Collation;

public class SequencePackerTests
{
    /// <summary>A sequence of <paramref name="length"/> tokens whose ids start at <paramref name="first"/>; every
    /// token a target.</summary>
    static TokenizedSequence Seq(int first, int length) =>
        new(Enumerable.Range(first, length).ToArray(), Enumerable.Repeat(true, length).ToArray());

    [Fact]
    public void Best_fit_decreasing_fills_rows_longest_first_into_the_fullest_row_that_fits()
    {
        // Lengths 5, 3, 6, 2, 4, 4 into rows of 10: sorted 6(#2), 5(#0), 4(#4), 4(#5), 3(#1), 2(#3).
        // 6 -> row A (4 free); 5 -> row B (5 free); 4 (#4) -> A (the fullest that fits: 0 free);
        // 4 (#5) -> B (1 free); 3 -> row C (7 free); 2 -> C (5 free).
        var sequences = new[] { Seq(100, 5), Seq(200, 3), Seq(300, 6), Seq(400, 2), Seq(500, 4), Seq(600, 4) };
        var rows = SequencePacker.Pack(sequences, 10, out var report);
        Assert.Equal(3, rows.Count);
        Assert.Equal(Seq(300, 6).Ids.Concat(Seq(500, 4).Ids), rows[0].Ids);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 1, 2, 2, 2, 2 }, rows[0].Segments);
        Assert.Equal(Seq(100, 5).Ids.Concat(Seq(600, 4).Ids), rows[1].Ids);
        Assert.Equal(Seq(200, 3).Ids.Concat(Seq(400, 2).Ids), rows[2].Ids);
        Assert.Equal(new[] { 1, 1, 1, 2, 2 }, rows[2].Segments);
        Assert.Equal(new PackingReport(6, 3, 10, 24), report);
        Assert.Equal(0.8, report.Fill, 12);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 2, 2, 2, 2 }, rows[1].Segments);
    }

    [Fact]
    public void Every_example_lands_whole_and_once_and_no_segment_starts_with_a_target()
    {
        var random = new Random(7);
        var sequences = Enumerable.Range(0, 200).Select(i => Seq(i * 1000, random.Next(1, 65))).ToList();
        var rows = SequencePacker.Pack(sequences, 64, out var report);
        var found = new List<int[]>();
        foreach (var row in rows)
        {
            Assert.True(row.Length <= 64);
            Assert.Equal(row.Length, row.Segments!.Length);
            for (int t = 0; t < row.Length; t++)
            {
                bool starts = t == 0 || row.Segments[t] != row.Segments[t - 1];
                if (starts)
                {
                    Assert.Equal(t == 0 ? 1 : row.Segments[t - 1] + 1, row.Segments[t]);
                    Assert.False(row.LossMask[t]);
                    int end = t;
                    while (end < row.Length && row.Segments[end] == row.Segments[t]) end++;
                    found.Add(row.Ids[t..end]);
                }
                else Assert.True(row.LossMask[t]);
            }
        }
        Assert.Equal(sequences.Select(s => string.Join(",", s.Ids)).Order(), found.Select(f => string.Join(",", f)).Order());
        Assert.Equal(sequences.Sum(s => s.Length), report.Tokens);
        // A row is opened only for an example no open row could take, so no two rows could be merged.
        for (int i = 0; i < rows.Count; i++)
            for (int j = i + 1; j < rows.Count; j++)
                Assert.True(rows[i].Length + rows[j].Length > 64, $"rows {i} ({rows[i].Length}) and {j} ({rows[j].Length}) fit in one");
        Assert.True(report.Fill > 0.9, $"fill {report.Fill}");
        // Deterministic.
        var again = SequencePacker.Pack(sequences, 64, out _);
        Assert.Equal(rows.Select(r => string.Join(",", r.Ids)), again.Select(r => string.Join(",", r.Ids)));
    }

    [Fact]
    public void An_example_longer_than_a_row_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => SequencePacker.Pack(new[] { Seq(0, 4), Seq(10, 9) }, 8, out _));
        Assert.Contains("example 1 has 9 tokens", error.Message);
    }

    [Fact]
    public void Packed_rows_pad_into_segment_ids_next_to_the_padding_mask()
    {
        var rows = new[]
        {
            new TokenizedSequence(new[] { 5, 6, 7, 8 }, new[] { false, true, false, true }, new[] { 1, 1, 2, 2 }),
            new TokenizedSequence(new[] { 9, 10 }, new[] { false, true }, new[] { 1, 1 }),
        };
        using var scope = torch.NewDisposeScope();
        var batch = Collator.Pad(rows, padId: 0);
        Assert.Equal(new long[] { 5, 6, 7, 8, 9, 10, 0, 0 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 2, 2, 1, 1, 0, 0 }, batch.SegmentIds!.data<long>().ToArray());
        Assert.Equal(new float[] { 0, 1, 0, 1, 0, 1, 0, 0 }, batch.LossMask.data<float>().ToArray());
        Assert.Same(batch.SegmentIds, batch.ModelMask);
        Assert.Equal(6, batch.Tokens);

        var plain = Collator.Pad(new[] { new TokenizedSequence(new[] { 1, 2 }, new[] { false, true }) }, 0);
        Assert.Null(plain.SegmentIds);
        Assert.Same(plain.AttentionMask, plain.ModelMask);
    }
}
