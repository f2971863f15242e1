using System.Runtime.InteropServices;

namespace PrefLab.Runtime.Distributed;

/// <summary>
/// Finds the native MPI library for MPI.NET. MPI.NET 1.4.0 imports MS-MPI's <c>msmpi.dll</c>; MS-MPI shares MPICH's
/// ABI (integer handles with the same values, the same C entry points), so on Linux the import is resolved to MPICH's
/// <c>libmpich.so.12</c> (or another MPICH-ABI library: Intel MPI's <c>libmpi.so.12</c>, or the file named by
/// <c>PREFLAB_MPI_LIBRARY</c>). Touched only when mpirun started this process.
/// </summary>
public static class MpiLibrary
{
    public const string OverrideVariable = "PREFLAB_MPI_LIBRARY";
    public static readonly IReadOnlyList<string> LinuxCandidates = ["libmpich.so.12", "libmpi.so.12"];

    static readonly Lock Gate = new();
    static IntPtr handle;
    static bool resolverSet;

    /// <summary>The libraries tried, in order: <c>PREFLAB_MPI_LIBRARY</c> alone when set, else the MPICH-ABI names.</summary>
    public static IReadOnlyList<string> Candidates(IReadOnlyDictionary<string, string?> environment) =>
        environment.TryGetValue(OverrideVariable, out var path) && !string.IsNullOrEmpty(path) ? [path] : LinuxCandidates;

    /// <summary>Loads the library (once) and points MPI.NET's imports at it; returns its name. A clear error when none loads.</summary>
    public static string Load(IReadOnlyDictionary<string, string?> environment, MpiLaunch launch)
    {
        if (OperatingSystem.IsWindows()) return "msmpi.dll";
        lock (Gate)
        {
            var tried = Candidates(environment);
            string? loaded = null;
            foreach (string candidate in tried)
                if (NativeLibrary.TryLoad(candidate, out handle)) { loaded = candidate; break; }
            if (loaded is null)
                throw new UserError($"this process was started by mpirun as rank {launch.Rank} of {launch.Size} ({MpiLaunch.SizeVariable} is set), " +
                    $"but no MPI library could be loaded (tried {string.Join(", ", tried)}): install MPICH (apt-get install mpich) " +
                    $"or name an MPICH-compatible library with {OverrideVariable}");
            if (!resolverSet)
            {
                PointMpiNetAt();
                resolverSet = true;
            }
            return loaded;
        }
    }

    // A method of its own, so that MPI.NET's assembly is loaded only when a library was found.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void PointMpiNetAt() =>
        NativeLibrary.SetDllImportResolver(typeof(MPI.Unsafe).Assembly, (name, _, _) =>
            name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) ? handle : IntPtr.Zero);
}
