using System.Runtime.InteropServices;
using PrefLab.Runtime.Native;
using TorchSharp;

namespace PrefLab.Runtime;

/// <summary>
/// The single entry to LibTorch: loads the native library (repairing this output's copy on systems whose
/// libstdc++ is too old, see <see cref="ElfVersionNeedPatcher"/>), explains a failure in one sentence, and
/// sets the thread count. Call <see cref="EnsureLoaded"/> before the first use of <c>torch</c>.
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool loaded;

    /// <summary>The TorchSharp package version this build references.</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    /// <summary>The LibTorch version reported by the native library.</summary>
    public static string LibTorchVersion
    {
        get { EnsureLoaded(); return torch.__version__; }
    }

    /// <summary>Where this output keeps TorchSharp's native library, or null.</summary>
    public static string? LocalNativeLibrary()
    {
        foreach (string candidate in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeLoadDiagnostics.LibraryFileName),
            Path.Combine(AppContext.BaseDirectory, NativeLoadDiagnostics.LibraryFileName),
        })
        {
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Loads LibTorch once. Throws <see cref="UserError"/> with a one-sentence reason if it cannot.</summary>
    public static void EnsureLoaded()
    {
        if (loaded) return;
        lock (Gate)
        {
            if (loaded) return;
            bool isLinux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
            string? library = isLinux ? LocalNativeLibrary() : null;
            bool? systemHasVersion = isLinux ? LibStdCxxProbe.HasRequiredVersion() : null;
            if (library is not null && systemHasVersion == false && !RepairIfPossible(library))
                throw new UserError(Diagnose(library, systemHasVersion)); // it cannot load: say why without trying
            // TorchSharp prints a long trace to standard output when loading fails; keep it out of the
            // command's output and give one sentence instead.
            var console = System.Console.Out;
            System.Console.SetOut(TextWriter.Null);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (isLinux && e is NotSupportedException or TypeInitializationException or DllNotFoundException)
            {
                throw new UserError(Diagnose(library, systemHasVersion), e);
            }
            finally
            {
                System.Console.SetOut(console);
            }
            loaded = true;
        }
    }

    /// <summary>Sets LibTorch's intra-op thread count (<c>--threads</c>); 0 keeps LibTorch's default.</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 0) throw UserError.InOption("threads", $"must be a positive number of threads, not {threads}");
        EnsureLoaded();
        if (threads > 0) torch.set_num_threads(threads);
    }

    public static int Threads
    {
        get { EnsureLoaded(); return torch.get_num_threads(); }
    }

    // A build output that missed the build step (a project without PrefLab's targets) is repaired here.
    // A read-only install is left alone (false); the diagnosis then says what to do.
    static bool RepairIfPossible(string library)
    {
        try
        {
            ElfVersionNeedPatcher.MarkWeak(library, LibStdCxxProbe.LibraryName, LibStdCxxProbe.RequiredVersion);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return false;
        }
    }

    static string Diagnose(string? library, bool? systemHasVersion)
    {
        bool? weak = null;
        string? loaderError = null;
        if (library is not null)
        {
            try
            {
                weak = ElfVersionNeedPatcher.Find(File.ReadAllBytes(library), library,
                    LibStdCxxProbe.LibraryName, LibStdCxxProbe.RequiredVersion).IsWeak;
            }
            catch (Exception e) when (e is IOException or InvalidDataException) { }
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(library));
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                loaderError = e.Message;
            }
        }
        return NativeLoadDiagnostics.Explain(library, systemHasVersion, weak, loaderError, LibStdCxxProbe.LoadedPath());
    }
}
