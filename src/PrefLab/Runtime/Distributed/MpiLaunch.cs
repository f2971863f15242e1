using System.Globalization;

namespace PrefLab.Runtime.Distributed;

/// <summary>
/// What MPICH's launcher (hydra: <c>mpirun.mpich</c>, <c>mpiexec.hydra</c>) tells each process it starts:
/// <c>PMI_RANK</c> and <c>PMI_SIZE</c> for the job, <c>MPI_LOCALRANKID</c> and <c>MPI_LOCALNRANKS</c> for the
/// processes on this machine. A pure function of the environment, so it is tested without MPI.
/// </summary>
public sealed record MpiLaunch(int Rank, int Size, int LocalRank, int LocalSize)
{
    public const string RankVariable = "PMI_RANK";
    public const string SizeVariable = "PMI_SIZE";
    public const string LocalRankVariable = "MPI_LOCALRANKID";
    public const string LocalSizeVariable = "MPI_LOCALNRANKS";

    /// <summary>The launch this environment describes, or null when no MPI launcher started this process (or it
    /// started a single process, which trains exactly as without mpirun and loads no MPI library).</summary>
    public static MpiLaunch? Detect(IReadOnlyDictionary<string, string?> environment)
    {
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
        if (Get("OMPI_COMM_WORLD_SIZE") is { } openMpiSize && openMpiSize != "1" && Get(SizeVariable) is null)
            throw new UserError("this process was started by Open MPI's mpirun (OMPI_COMM_WORLD_SIZE is set), but PrefLab " +
                "speaks MPICH's interface: launch it with MPICH's mpirun.mpich (Debian/Ubuntu package mpich)");
        if (Get(SizeVariable) is not { } sizeText) return null;
        int size = Number(SizeVariable, sizeText, 1);
        if (size == 1) return null;
        int rank = Number(RankVariable, Get(RankVariable) ?? throw new UserError($"{SizeVariable} is set ({sizeText}) but {RankVariable} is not: was this process started by mpirun.mpich?"), 0);
        if (rank >= size) throw new UserError($"{RankVariable} is {rank}, not below {SizeVariable} {size}");
        int localSize = Get(LocalSizeVariable) is { } l ? Number(LocalSizeVariable, l, 1) : 1;
        int localRank = Get(LocalRankVariable) is { } r ? Number(LocalRankVariable, r, 0) : 0;
        return new MpiLaunch(rank, size, localRank, localSize);
    }

    /// <summary>The process's environment as a dictionary (for <see cref="Detect"/>).</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);

    static int Number(string variable, string text, int min) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min
            ? value
            : throw new UserError($"environment variable {variable} is '{text}', not a whole number of at least {min}");

    /// <summary>LibTorch threads for a rank when --threads is not given: the machine's cores shared by the ranks on it.</summary>
    public static int DefaultThreads(int logicalCores, int localSize) => Math.Max(1, logicalCores / Math.Max(1, localSize));
}
