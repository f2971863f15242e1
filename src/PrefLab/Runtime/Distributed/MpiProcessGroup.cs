namespace PrefLab.Runtime.Distributed;

/// <summary>
/// The MPI job (MPI.NET over MPICH, see <see cref="MpiLibrary"/>): MPI_Init at start, MPI_Finalize on dispose, and
/// the collectives on MPI_COMM_WORLD called directly with in-place buffers (no managed copies).
/// </summary>
sealed unsafe class MpiProcessGroup : ProcessGroup
{
    // MPI_IN_PLACE is ((void*)-1) in both MPICH and MS-MPI.
    static readonly IntPtr InPlace = new(-1);

    readonly MPI.Environment environment;
    readonly int rank, size, localSize;

    MpiProcessGroup(MPI.Environment environment, int rank, int size, int localSize)
    {
        this.environment = environment; this.rank = rank; this.size = size; this.localSize = localSize;
    }

    public static MpiProcessGroup Start(MpiLaunch launch, string library)
    {
        string[] args = [];
        MPI.Environment environment;
        try
        {
            environment = new MPI.Environment(ref args);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new UserError($"rank {launch.Rank}: MPI failed to start with {library} ({e.Message}); PrefLab needs an MPICH-ABI library (apt-get install mpich)");
        }
        var world = MPI.Communicator.world;
        if (world.Size != launch.Size || world.Rank != launch.Rank)
            throw new UserError($"MPI reports rank {world.Rank} of {world.Size}, but the launcher set {MpiLaunch.RankVariable}={launch.Rank} " +
                $"{MpiLaunch.SizeVariable}={launch.Size}: the mpirun that started PrefLab does not match {library}; use MPICH's mpirun.mpich");
        return new MpiProcessGroup(environment, world.Rank, world.Size, launch.LocalSize);
    }

    public override int Rank => rank;
    public override int Size => size;
    public override int LocalSize => localSize;

    public override void AllreduceSum(Span<float> values)
    {
        fixed (float* p = values)
            Check(MPI.Unsafe.MPI_Allreduce(InPlace, (IntPtr)p, values.Length, MPI.Unsafe.MPI_FLOAT, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Allreduce");
    }

    public override void AllreduceSum(Span<double> values)
    {
        fixed (double* p = values)
            Check(MPI.Unsafe.MPI_Allreduce(InPlace, (IntPtr)p, values.Length, MPI.Unsafe.MPI_DOUBLE, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Allreduce");
    }

    public override void AllreduceSum(Span<long> values)
    {
        fixed (long* p = values)
            Check(MPI.Unsafe.MPI_Allreduce(InPlace, (IntPtr)p, values.Length, MPI.Unsafe.MPI_LONG_LONG, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Allreduce");
    }

    public override long[] AllGather(long value)
    {
        var result = new long[size];
        fixed (long* r = result)
            Check(MPI.Unsafe.MPI_Allgather((IntPtr)(&value), 1, MPI.Unsafe.MPI_LONG_LONG, (IntPtr)r, 1, MPI.Unsafe.MPI_LONG_LONG, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Allgather");
        return result;
    }

    /// <summary>MPI_Abort ends every rank at once, and the launcher can drop lines it has not forwarded yet (a
    /// rank's last error line went missing under load): give it a moment first. Only a failing job waits.</summary>
    const int AbortGraceMilliseconds = 500;

    public override void Abort(int exitCode)
    {
        Thread.Sleep(AbortGraceMilliseconds);
        MPI.Unsafe.MPI_Abort(MPI.Unsafe.MPI_COMM_WORLD, exitCode);
        System.Environment.Exit(exitCode);
    }

    public override void Dispose()
    {
        environment.Dispose();
        GC.SuppressFinalize(this);
    }

    void Check(int code, string call)
    {
        if (code != MPI.Unsafe.MPI_SUCCESS)
            throw new InvalidOperationException($"rank {rank}: {call} failed with MPI error {code} (another rank probably died)");
    }
}
