namespace PrefLab.Tests.Architecture;

/// <summary>The library's .cs files (src/PrefLab, without bin/ and obj/), found above the test's output folder and
/// read once per run.</summary>
public static class LibrarySources
{
    public static readonly Lazy<IReadOnlyList<SourceFile>> All = new(() =>
    {
        string root = Root();
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(relative => !relative.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(relative => SourceFile.Parse(relative, File.ReadAllText(Path.Combine(root, relative))))
            .ToList();
    });

    static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "PrefLab");
            if (File.Exists(Path.Combine(candidate, "PrefLab.csproj"))) return candidate;
        }
        throw new DirectoryNotFoundException("src/PrefLab not found above " + AppContext.BaseDirectory);
    }
}
