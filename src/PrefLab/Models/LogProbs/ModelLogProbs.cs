using PrefLab.Models;
using static TorchSharp.torch;

namespace PrefLab.Models.LogProbs;

/// <summary>
/// Token log-probs of a causal LM from its final hidden states, through the output projection all at once or in
/// chunks (<see cref="LogitChunking"/>). Unchunked is exactly <see cref="TokenLogProbs.Gather(Tensor, Tensor, Tensor, double)"/>
/// on <see cref="CausalLM.ProjectToVocab"/>'s logits; chunked projects only the selected positions, a chunk at a
/// time (<see cref="ChunkedLogProbs"/>), and agrees with it to float32 rounding, gradients included.
/// </summary>
public static class ModelLogProbs
{
    /// <summary>
    /// log π_T(labels) at each position of <paramref name="hidden"/>; 0 where <paramref name="mask"/> is 0.
    /// Differentiable. [B, T, H], [B, T] int64, [B, T] -> [B, T] float32.
    /// </summary>
    public static Tensor Gather(CausalLM model, Tensor hidden, Tensor labels, Tensor mask, double temperature, LogitChunking? chunking = null)
    {
        Masks.RequireDim("hidden states", hidden, 3);
        Masks.RequireSameShape("labels", labels, "mask", mask);
        long rows = hidden.shape[0], length = hidden.shape[1], width = hidden.shape[2];
        int? chunk = (chunking ?? LogitChunking.Auto).TokensPerChunk(rows * length, model.Config.VocabSize);
        if (chunk is not int tokensPerChunk)
            return TokenLogProbs.Gather(model.ProjectToVocab(hidden), labels, mask, temperature);
        using var scope = NewDisposeScope();
        var index = Masks.AsBool(mask).reshape(-1).nonzero().squeeze(-1);                       // [M] flat positions scored
        var selected = hidden.reshape(-1, width).index_select(0, index);                          // [M, H]
        var targets = labels.reshape(-1).to_type(ScalarType.Int64).index_select(0, index);        // [M]
        var picked = ChunkedLogProbs.Gather(selected, model.OutputWeight, targets, temperature, tokensPerChunk, model.Precision); // [M]
        var all = zeros(rows * length, dtype: ScalarType.Float32).index_copy(0, index, picked);  // [B*T]
        return all.view(rows, length).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-token log-probs of the completion tokens of <paramref name="inputIds"/> (the causal shift of
    /// <see cref="TokenLogProbs.OfCompletion"/>: position t scores token t+1), one forward pass of the decoder.
    /// [B, T] ids, attention mask and completion mask -> [B, T-1] log-probs and mask.
    /// </summary>
    public static CompletionLogProbs OfCompletion(CausalLM model, Tensor inputIds, Tensor? attentionMask, Tensor completionMask,
        double temperature = 1.0, LogitChunking? chunking = null)
    {
        Masks.RequireDim("input ids", inputIds, 2);
        Masks.RequireSameShape("input ids", inputIds, "completion mask", completionMask);
        long rows = inputIds.shape[0], length = inputIds.shape[1];
        if (length < 2) throw new ArgumentException("a sequence needs at least two tokens to score one (the first is never predicted).");
        if ((chunking ?? LogitChunking.Auto).TokensPerChunk(rows * length, model.Config.VocabSize) is null)
            return TokenLogProbs.OfCompletion(model.forward(inputIds, attentionMask), inputIds, completionMask, temperature);
        using var scope = NewDisposeScope();
        var hidden = model.HiddenStates(inputIds, attentionMask);                                 // [B, T, H]
        // Position t scores token t+1; the last position scores nothing (its mask is 0), so no copy of hidden is needed.
        var mask = completionMask.narrow(1, 1, length - 1);                                       // [B, T-1]
        var labels = cat(new[] { inputIds.narrow(1, 1, length - 1), zeros(rows, 1, dtype: inputIds.dtype) }, 1);      // [B, T]
        var scored = cat(new[] { Masks.AsBool(mask), zeros(rows, 1, dtype: ScalarType.Bool) }, 1);                   // [B, T]
        var logProbs = Gather(model, hidden, labels, scored, temperature, chunking ?? LogitChunking.Auto);            // [B, T]
        return new CompletionLogProbs(logProbs.narrow(1, 0, length - 1).MoveToOuterDisposeScope(), mask.alias().MoveToOuterDisposeScope());
    }
}
