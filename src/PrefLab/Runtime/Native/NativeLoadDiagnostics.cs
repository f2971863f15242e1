namespace PrefLab.Runtime.Native;

/// <summary>Turns a failed load of TorchSharp's native library into one sentence that says why and what to do,
/// instead of TorchSharp's message, which blames a missing package reference.</summary>
public static class NativeLoadDiagnostics
{
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <param name="libraryPath">The copy TorchSharp loads first, or null if the output has none.</param>
    /// <param name="systemHasVersion">Whether the system's libstdc++ has GLIBCXX_3.4.32 (null: unknown).</param>
    /// <param name="needIsWeak">Whether that copy's GLIBCXX_3.4.32 need is marked weak (null: unknown).</param>
    /// <param name="loaderError">What the dynamic loader said, if we asked it.</param>
    /// <param name="libStdCxxPath">The libstdc++ the loader uses, for the message.</param>
    public static string Explain(string? libraryPath, bool? systemHasVersion, bool? needIsWeak, string? loaderError, string? libStdCxxPath)
    {
        string library = libraryPath ?? LibraryFileName;
        string system = libStdCxxPath ?? "the system's libstdc++.so.6";
        if (libraryPath is null)
            return $"Cannot load TorchSharp: this output has no runtimes/linux-x64/native/{LibraryFileName}; build or publish the project with `dotnet build` / `dotnet publish` so the TorchSharp-cpu native files are copied.";
        if (systemHasVersion == false && needIsWeak == false)
            return $"Cannot load TorchSharp: {library} needs {LibStdCxxProbe.RequiredVersion}, which {system} lacks (Debian 12 and Ubuntu 22.04 ship GCC 12's); rebuild with `dotnet build` so PrefLab's build step marks that need weak, or make that file writable so PrefLab can do it at start-up.";
        string detail = string.IsNullOrWhiteSpace(loaderError) ? "the dynamic loader gave no reason" : FirstLine(loaderError!);
        return $"Cannot load TorchSharp's native library {library}: {detail}.";
    }

    static string FirstLine(string text)
    {
        string line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? text.Trim();
        return line.TrimEnd('.');
    }
}
