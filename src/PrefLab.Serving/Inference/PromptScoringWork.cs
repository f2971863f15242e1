using PrefLab.Generation;
using PrefLab.Models.LogProbs;
using PrefLab.Serving.Models;
using static TorchSharp.torch;

namespace PrefLab.Serving.Inference;

/// <summary>Each prompt token's log-prob given the tokens before it (the first has none), with the most likely
/// alternatives: what <c>echo</c> with <c>logprobs</c> reports, so a text can be scored.</summary>
public sealed record PromptLogProbs(int[] Ids, float[] LogProbs, TopLogProb[][]? Top);

/// <summary>
/// Prompt log-probs of a completions request with <c>echo</c>: one forward per prompt, unpadded, so the values are
/// those of <c>preflab logits</c> on the same ids: log_softmax(logits[t-1] / T)[id t], T the request's temperature
/// (1 when greedy), as the generated tokens' log-probs are.
/// </summary>
public sealed class PromptScoringWork(PolicyModel model, IReadOnlyList<int[]> prompts, double temperature, int top) : Work
{
    readonly TaskCompletionSource<PromptLogProbs[]> done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PolicyModel Model { get; } = model;
    public Task<PromptLogProbs[]> Result => done.Task;
    public override int Rows => prompts.Count;
    public override object BatchKey => this; // forwards are per prompt: nothing is gained by grouping
    public override bool IsDone => done.Task.IsCompleted;
    public override void Fail(Exception error) => done.TrySetException(error);

    public override void RunBatch(IReadOnlyList<Work> group, int maxBatch) =>
        done.TrySetResult(prompts.Select(Score).ToArray());

    PromptLogProbs Score(int[] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int n = ids.Length;
        var logProbs = new float[Math.Max(n - 1, 0)];
        TopLogProb[][]? alternatives = top > 0 ? new TopLogProb[Math.Max(n - 1, 0)][] : null;
        if (n < 2) return new PromptLogProbs(ids, logProbs, alternatives);
        var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);                      // [1, n]
        var logits = Model.Model.forward(input).narrow(1, 0, n - 1);                               // [1, n-1, V]: position t predicts t+1
        var targets = input.narrow(1, 1, n - 1);                                                   // [1, n-1]
        TokenLogProbs.Gather(logits, targets, temperature).squeeze(0).data<float>().CopyTo(logProbs, 0);
        if (alternatives is not null)
        {
            var z = (temperature == 1.0 ? logits : logits.div(temperature)).squeeze(0);          // [n-1, V]
            int k = (int)Math.Min(top, z.shape[^1]);
            var (values, indices) = (z - z.logsumexp(-1, keepdim: true)).topk(k, -1);             // [n-1, k] each
            var v = values.contiguous().data<float>().ToArray();
            var i = indices.contiguous().data<long>().ToArray();
            for (int t = 0; t < n - 1; t++)
                alternatives[t] = Enumerable.Range(0, k).Select(j => new TopLogProb((int)i[t * k + j], v[t * k + j])).ToArray();
        }
        return new PromptLogProbs(ids, logProbs, alternatives);
    }
}
