using PrefLab.Generation;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Inference;

/// <summary>
/// The sequences of one completion request (n choices of one prompt, or several prompts), decoded in a batch
/// with other requests that agree on the batch-wide settings (model, temperature, top-p, top log-probs); seeds,
/// sampling keys, length limits and stop strings stay per sequence (<see cref="PromptRequest"/>), so a request's
/// tokens do not depend on the requests it shares a batch with.
/// </summary>
public sealed class GenerationWork(PolicyModel model, GenerationOptions shared, IReadOnlyList<PromptRequest> prompts,
    Action<int, GeneratedToken>? onToken = null) : Work
{
    readonly TaskCompletionSource<GeneratedSequence[]> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly GeneratedSequence?[] results = new GeneratedSequence?[prompts.Count];
    int remaining = prompts.Count;

    public PolicyModel Model { get; } = model;
    public GenerationOptions Shared { get; } = shared;
    public IReadOnlyList<PromptRequest> Prompts { get; } = prompts;

    /// <summary>Each sequence, in prompt order, once all have finished.</summary>
    public Task<GeneratedSequence[]> Result => done.Task;

    public override int Rows => Prompts.Count;
    public override object BatchKey => (Model, Shared.Temperature, Shared.TopK, Shared.TopP, Shared.TopLogProbs, Shared.SkipSpecialTokens);
    public override bool IsDone => done.Task.IsCompleted;
    public override void Fail(Exception error) => done.TrySetException(error);

    public override void RunBatch(IReadOnlyList<Work> group, int maxBatch)
    {
        var works = group.Cast<GenerationWork>().ToList();
        var all = new List<PromptRequest>();
        var owner = new List<(GenerationWork Work, int Local)>();
        foreach (var work in works)
            for (int i = 0; i < work.Prompts.Count; i++)
            {
                all.Add(work.Prompts[i]);
                owner.Add((work, i));
            }
        int longest = all.Max(p => p.MaxNewTokens ?? Shared.MaxNewTokens);
        var options = Shared with { BatchSize = maxBatch, MaxNewTokens = longest, MinNewTokens = 0 };
        Model.Generator.Generate(all, options, onToken: token =>
        {
            var (work, local) = owner[token.Prompt];
            work.Deliver(local, token);
        });
    }

    void Deliver(int local, GeneratedToken token)
    {
        onToken?.Invoke(local, token);
        if (token.Finished is null || results[local] is not null) return;
        results[local] = token.Finished;
        if (--remaining == 0) done.TrySetResult(results.Select(r => r!).ToArray());
    }
}
