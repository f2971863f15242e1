using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Runtime.Console;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>The reference model's log-probs of every pair, in one batched pass without gradients.</summary>
public static class ReferencePass
{
    public static ReferenceLogProbs Compute(CausalLM model, IReadOnlyList<TokenizedPair> pairs, PairLayout layout, int padId, string label,
        LogitChunking? chunking = null)
    {
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        var filled = new bool[pairs.Count];
        using var progress = ProgressReporter.Start(label, layout.Batches.Count, "batch");
        foreach (var batchIndices in layout.Batches)
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
        int missing = Array.IndexOf(filled, false);
        if (missing >= 0) throw new ArgumentException($"pair {missing} is in no batch of the layout", nameof(layout));
        return new ReferenceLogProbs(chosen, rejected);
    }
}
