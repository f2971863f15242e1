using System.Security.Cryptography;
using System.Text;

namespace PrefLab.Runtime.Distributed;

/// <summary>
/// The processes of one data-parallel job: this process's rank among <see cref="Size"/>, and the collective
/// operations the trainer needs (sums in place, gathering a value from every rank, abort). <see cref="Current"/>
/// is the single process unless <see cref="StartFromEnvironment"/> found an MPI launch; only then is an MPI
/// library loaded. MPI is process-wide, so the group is too.
/// </summary>
public abstract class ProcessGroup : IDisposable
{
    public static ProcessGroup Current { get; private set; } = new SingleProcess();

    public abstract int Rank { get; }
    public abstract int Size { get; }
    /// <summary>Ranks on this machine (threads per rank default to the cores shared among them).</summary>
    public abstract int LocalSize { get; }
    /// <summary>Rank 0: the one that writes the run folder, metrics and checkpoints, and prints.</summary>
    public bool IsRoot => Rank == 0;
    public bool IsDistributed => Size > 1;

    /// <summary>Element-wise sum over all ranks, in place (every rank ends with the same values).</summary>
    public abstract void AllreduceSum(Span<float> values);
    /// <inheritdoc cref="AllreduceSum(Span{float})"/>
    public abstract void AllreduceSum(Span<double> values);
    /// <inheritdoc cref="AllreduceSum(Span{float})"/>
    public abstract void AllreduceSum(Span<long> values);
    /// <summary>Every rank's value, by rank.</summary>
    public abstract long[] AllGather(long value);
    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort): a failing rank calls it so
    /// the others never wait for it in a collective.</summary>
    public abstract void Abort(int exitCode);
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Every rank's bytes, by rank: the lengths first, then one integer sum over a buffer in which each rank
    /// fills its own slot (zeros elsewhere), so any bytes travel exactly.</summary>
    public byte[][] AllGather(byte[] value)
    {
        long[] lengths = AllGather(value.LongLength);
        var words = lengths.Select(n => checked((int)((n + 7) / 8))).ToArray();
        var offsets = new int[Size + 1];
        for (int r = 0; r < Size; r++) offsets[r + 1] = checked(offsets[r] + words[r]);
        var buffer = new long[offsets[Size]];
        value.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan(offsets[Rank], words[Rank])));
        AllreduceSum(buffer.AsSpan());
        var result = new byte[Size][];
        for (int r = 0; r < Size; r++)
            result[r] = System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan(offsets[r], words[r])).Slice(0, (int)lengths[r]).ToArray();
        return result;
    }

    /// <summary>
    /// Checks that every rank holds the same <paramref name="what"/> (a hash of <paramref name="description"/> is
    /// compared), so ranks started with different options or data stop at once instead of training apart.
    /// </summary>
    public void Agree(string what, string description)
    {
        if (!IsDistributed) return;
        long[] hashes = AllGather(Fingerprint(description));
        if (FirstDisagreement(hashes) is int rank)
            throw new UserError($"rank {rank} of {Size} was started with different {what} than rank 0; every rank of " +
                "mpirun must be given the same options, data and model (check the command line and that every machine sees the same files)");
    }

    /// <summary>The first rank whose value differs from rank 0's, or null when all agree.</summary>
    public static int? FirstDisagreement(IReadOnlyList<long> values)
    {
        for (int r = 1; r < values.Count; r++)
            if (values[r] != values[0]) return r;
        return null;
    }

    public static long Fingerprint(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    /// <summary>
    /// When MPICH's launcher started this process as one of several (<see cref="MpiLaunch.Detect"/>), initialises MPI
    /// and makes it <see cref="Current"/>; otherwise leaves the single process and loads nothing. Errors (MPI library
    /// missing, Open MPI's launcher) are <see cref="UserError"/>s.
    /// </summary>
    public static ProcessGroup StartFromEnvironment()
    {
        if (MpiLaunch.Detect(MpiLaunch.ProcessEnvironment()) is not { } launch) return Current;
        string library = MpiLibrary.Load(MpiLaunch.ProcessEnvironment(), launch);
        Current = MpiProcessGroup.Start(launch, library);
        return Current;
    }

    sealed class SingleProcess : ProcessGroup
    {
        public override int Rank => 0;
        public override int Size => 1;
        public override int LocalSize => 1;
        public override void AllreduceSum(Span<float> values) { }
        public override void AllreduceSum(Span<double> values) { }
        public override void AllreduceSum(Span<long> values) { }
        public override long[] AllGather(long value) => [value];
        public override void Abort(int exitCode) => System.Environment.Exit(exitCode);
        public override void Dispose() { }
    }
}
