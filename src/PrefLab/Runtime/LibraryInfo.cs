namespace PrefLab.Runtime;

/// <summary>Facts about this build of the library.</summary>
public static class LibraryInfo
{
    /// <summary>The library's version (major.minor.patch), as <c>preflab --version</c> prints it and lab fingerprints hold.</summary>
    public static string Version => typeof(LibraryInfo).Assembly.GetName().Version?.ToString(3) ?? "unknown";
}
