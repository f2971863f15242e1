using PrefLab.Models.LogProbs;
using PrefLab.Models;
using static TorchSharp.torch;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// Summed log-likelihoods of the scored tokens of sequences: log p(x[t] | x[..t]) over the positions t marked
/// scored, with the causal shift (the logits at t-1 predict x[t]). Sequences are sorted by length, cut into batches,
/// right-padded with an attention mask; only the positions that predict a scored token are projected to the
/// vocabulary (so a 128k vocabulary does not cost a [batch, seq, vocab] tensor), then
/// <see cref="TokenLogProbs.Gather(Tensor, Tensor, double)"/> at temperature 1. Sums are taken in float64.
/// </summary>
public static class SequenceLikelihood
{
    public static double[] Score(CausalLM model, IReadOnlyList<ScoredSequence> sequences, int batchSize, int padId,
        Action<int>? onSequencesDone = null)
    {
        var sums = new double[sequences.Count];
        var order = Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Ids.Length).ThenBy(i => i).ToArray();
        using var noGrad = no_grad();
        foreach (var chunk in order.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            int rows = chunk.Length, length = chunk.Max(i => sequences[i].Ids.Length);
            var ids = new long[rows * length];
            var mask = new long[rows * length];
            var predictingPositions = new List<long>();   // flat [row * length + t] of positions t-1 that predict a scored x[t]
            var labels = new List<long>();
            var owners = new List<int>();
            for (int r = 0; r < rows; r++)
            {
                var sequence = sequences[chunk[r]];
                for (int t = 0; t < length; t++)
                {
                    bool real = t < sequence.Ids.Length;
                    ids[r * length + t] = real ? sequence.Ids[t] : padId;
                    mask[r * length + t] = real ? 1 : 0;
                    if (real && t > 0 && sequence.Scored[t])
                    {
                        predictingPositions.Add(r * length + t - 1);
                        labels.Add(sequence.Ids[t]);
                        owners.Add(chunk[r]);
                    }
                }
            }
            if (predictingPositions.Count == 0) { onSequencesDone?.Invoke(rows); continue; }
            var inputIds = tensor(ids).view(rows, length);                                      // [B, T]
            var attention = tensor(mask).view(rows, length);                                    // [B, T]
            var hidden = model.HiddenStates(inputIds, attention);                              // [B, T, H]
            var picked = hidden.reshape(rows * length, -1).index_select(0, tensor(predictingPositions.ToArray())); // [N, H]
            var logits = model.ProjectToVocab(picked);                                          // [N, V]
            var logProbs = TokenLogProbs.Gather(logits, tensor(labels.ToArray()));              // [N]
            var values = logProbs.to_type(ScalarType.Float64).data<double>().ToArray();
            for (int n = 0; n < values.Length; n++) sums[owners[n]] += values[n];
            onSequencesDone?.Invoke(rows);
        }
        return sums;
    }
}
