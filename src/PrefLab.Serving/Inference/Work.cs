namespace PrefLab.Serving.Inference;

/// <summary>
/// A request's model work, queued for the <see cref="InferenceLoop"/>. Works with equal <see cref="BatchKey"/>s
/// (same model, same kind, same batch-wide settings) taken from the queue together run as one batch.
/// </summary>
public abstract class Work
{
    /// <summary>Sequences this work adds to a batch (a request with n choices adds n).</summary>
    public abstract int Rows { get; }

    /// <summary>Works whose keys are equal may share a batch.</summary>
    public abstract object BatchKey { get; }

    /// <summary>Runs <paramref name="group"/> (works with this one's key, this one among them) as one batch, on the
    /// inference thread, completing each work.</summary>
    public abstract void RunBatch(IReadOnlyList<Work> group, int maxBatch);

    /// <summary>Ends the work with an error (its request answers it).</summary>
    public abstract void Fail(Exception error);

    /// <summary>True once the work has its result or error.</summary>
    public abstract bool IsDone { get; }
}
