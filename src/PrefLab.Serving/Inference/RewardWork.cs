using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Inference;

/// <summary>Raw rewards of conversations (each ending with the assistant response to score), batched with other
/// reward requests for the same model through <c>RewardModel.TryScoreRaw</c>, the path <c>rm score</c> takes; null
/// for one that does not fit the model.</summary>
public sealed class RewardWork(RewardServedModel model, IReadOnlyList<IReadOnlyList<Message>> conversations) : Work
{
    readonly TaskCompletionSource<double?[]> done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RewardServedModel Model { get; } = model;
    public IReadOnlyList<IReadOnlyList<Message>> Conversations { get; } = conversations;
    public Task<double?[]> Result => done.Task;
    public override int Rows => Conversations.Count;
    public override object BatchKey => (Model, "rewards");
    public override bool IsDone => done.Task.IsCompleted;
    public override void Fail(Exception error) => done.TrySetException(error);

    public override void RunBatch(IReadOnlyList<Work> group, int maxBatch)
    {
        var works = group.Cast<RewardWork>().ToList();
        var scores = Model.Rewards.TryScoreRaw(works.SelectMany(w => w.Conversations).ToList(), new CollationReport());
        int at = 0;
        foreach (var work in works)
        {
            work.done.TrySetResult(scores[at..(at + work.Conversations.Count)]);
            at += work.Conversations.Count;
        }
    }
}
