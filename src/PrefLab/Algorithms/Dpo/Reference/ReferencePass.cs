using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Runtime.Console;
using PrefLab.Runtime.Distributed;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>The reference model's log-probs of every pair, in one batched pass without gradients.</summary>
public static class ReferencePass
{
    public static ReferenceLogProbs Compute(CausalLM model, IReadOnlyList<TokenizedPair> pairs, PairLayout layout, int padId, string label,
        LogitChunking? chunking = null) =>
        Compute(model, pairs, layout, padId, label, chunking, ProcessGroup.Current);

    /// <summary>
    /// Under mpirun the layout's batches are shared out (batch b on rank b mod N) and every rank ends with all the
    /// values, gathered as their float64 bytes: a batch's values depend only on its rows and their padded length, not
    /// on which rank ran it, so they equal one process's bit for bit, in 1/N of the time.
    /// </summary>
    public static ReferenceLogProbs Compute(CausalLM model, IReadOnlyList<TokenizedPair> pairs, PairLayout layout, int padId, string label,
        LogitChunking? chunking, ProcessGroup group)
    {
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        var filled = new bool[pairs.Count];
        var mine = BatchesOf(layout, group, group.Rank).ToList();
        using (var progress = ProgressReporter.Start(label, mine.Count, "batch"))
            foreach (var batchIndices in mine)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var batch = Collator.PadPairs(batchIndices.Select(i => pairs[i]).ToList(), padId);
                var logps = PairLogProbs.Of(model, batch, chunking);
                double[] c = logps.Chosen.contiguous().data<double>().ToArray(), r = logps.Rejected.contiguous().data<double>().ToArray();
                for (int k = 0; k < batchIndices.Length; k++)
                {
                    chosen[batchIndices[k]] = c[k];
                    rejected[batchIndices[k]] = r[k];
                    filled[batchIndices[k]] = true;
                }
                progress.Advance();
            }
        if (group.IsDistributed) Exchange(layout, group, chosen, rejected, filled);
        int missing = Array.IndexOf(filled, false);
        if (missing >= 0) throw new ArgumentException($"pair {missing} is in no batch of the layout", nameof(layout));
        return new ReferenceLogProbs(chosen, rejected);
    }

    /// <summary>The layout's batches rank <paramref name="rank"/> runs: batch b on rank b mod N.</summary>
    static IEnumerable<int[]> BatchesOf(PairLayout layout, ProcessGroup group, int rank) =>
        layout.Batches.Where((_, b) => b % group.Size == rank);

    /// <summary>Every rank's values (chosen then rejected for each of its batches' rows, in layout order) to every rank.</summary>
    static void Exchange(PairLayout layout, ProcessGroup group, double[] chosen, double[] rejected, bool[] filled)
    {
        IEnumerable<int> RowsOf(int rank) => BatchesOf(layout, group, rank).SelectMany(batch => batch);
        var own = RowsOf(group.Rank).SelectMany(i => new[] { chosen[i], rejected[i] }).ToArray();
        var bytes = new byte[own.Length * sizeof(double)];
        Buffer.BlockCopy(own, 0, bytes, 0, bytes.Length);
        byte[][] gathered = group.AllGather(bytes);
        for (int rank = 0; rank < group.Size; rank++)
        {
            if (rank == group.Rank) continue;
            var values = new double[gathered[rank].Length / sizeof(double)];
            Buffer.BlockCopy(gathered[rank], 0, values, 0, gathered[rank].Length);
            int at = 0;
            foreach (int i in RowsOf(rank))
            {
                chosen[i] = values[at++];
                rejected[i] = values[at++];
                filled[i] = true;
            }
            if (at != values.Length) throw new InvalidOperationException($"rank {rank} sent {values.Length} reference values, expected {at}");
        }
    }
}
