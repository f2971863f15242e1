using System.Threading.Channels;
using PrefLab.Runtime;

namespace PrefLab.Serving.Inference;

/// <summary>
/// The one thread that runs model work. Requests enqueue <see cref="Work"/>; the loop waits for the first, takes
/// whatever else is already waiting up to <c>maxBatch</c> sequences, groups it by <see cref="Work.BatchKey"/> and
/// runs each group as one batched call (the KV-cached generator for completions), so concurrent requests share
/// forward passes instead of queueing behind each other. TorchSharp's dispose scopes are per thread, and one
/// thread keeps LibTorch's own thread pool from being oversubscribed by request threads.
/// </summary>
public sealed class InferenceLoop : IDisposable
{
    readonly Channel<Work> queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    readonly Thread thread;
    readonly int maxBatch;
    readonly int threads;

    /// <param name="maxBatch">Most sequences in one batch.</param>
    /// <param name="threads">LibTorch threads of the loop (0: leave as set).</param>
    public InferenceLoop(int maxBatch, int threads = 0)
    {
        this.maxBatch = maxBatch;
        this.threads = threads;
        thread = new Thread(Loop) { IsBackground = true, Name = "preflab-inference" };
        thread.Start();
    }

    /// <summary>Batches run so far and the sequences in them (a measure of how much batching happened).</summary>
    public long Batches => Interlocked.Read(ref batches);
    public long BatchedRows => Interlocked.Read(ref batchedRows);
    long batches, batchedRows;

    public void Enqueue(Work work)
    {
        if (!queue.Writer.TryWrite(work)) work.Fail(new ObjectDisposedException(nameof(InferenceLoop), "the server is stopping"));
    }

    void Loop()
    {
        if (threads > 0) TorchRuntime.SetThreads(threads);
        var reader = queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            var taken = new List<Work>();
            int rows = 0;
            while (reader.TryPeek(out var next) && (rows == 0 || rows + next.Rows <= maxBatch))
            {
                reader.TryRead(out next);
                taken.Add(next!);
                rows += next!.Rows;
            }
            foreach (var group in taken.GroupBy(w => w.BatchKey))
                Run(group.ToList());
        }
    }

    void Run(List<Work> group)
    {
        Interlocked.Increment(ref batches);
        Interlocked.Add(ref batchedRows, group.Sum(w => w.Rows));
        try
        {
            group[0].RunBatch(group, maxBatch);
        }
        catch (Exception) when (group.Count > 1)
        {
            // One request's failure must not fail the others: run each alone, so the error reaches only its own.
            foreach (var work in group.Where(w => !w.IsDone)) Run([work]);
        }
        catch (Exception e)
        {
            group[0].Fail(e);
        }
        foreach (var work in group.Where(w => !w.IsDone))
            work.Fail(new InvalidOperationException("the batch ended without a result for this request"));
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        thread.Join(TimeSpan.FromSeconds(30));
    }
}
