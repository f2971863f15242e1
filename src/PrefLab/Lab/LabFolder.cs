using PrefLab.Lab.Store;
using PrefLab.Runtime;

namespace PrefLab.Lab;

/// <summary>
/// A lab folder's layout: <c>results.sqlite</c> (the store), <c>work/KIND/ID/</c> (node outputs), <c>grids/</c>
/// (a copy of each grid file run here), <c>report.md</c> and <c>plots/</c>, and <c>.lock</c> while a run holds it.
/// </summary>
public sealed class LabFolder
{
    public LabFolder(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string StorePath => Path.Combine(Root, LabStore.FileName);
    public string WorkFolder => Path.Combine(Root, "work");
    public string GridsFolder => Path.Combine(Root, "grids");
    public string ReportPath => Path.Combine(Root, "report.md");
    public string PlotsFolder => Path.Combine(Root, "plots");
    public string LockPath => Path.Combine(Root, ".lock");

    public string NodeFolder(string relative) => Path.Combine(Root, relative);

    /// <summary>Takes the folder for one <c>lab run</c>: a second run on the same folder is refused while this one lives.</summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Root);
        try
        {
            var stream = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return stream;
        }
        catch (IOException)
        {
            throw new UserError($"{Root} is in use by another `lab run` (it holds {LockPath}); wait for it to finish");
        }
    }

    /// <summary>Opens an existing lab's store for reading, with a clear error when the folder is not a lab.</summary>
    public LabStore OpenStoreForReading()
    {
        if (!Directory.Exists(Root)) throw new UserError($"lab folder not found: {Root}");
        if (!File.Exists(StorePath))
            throw new UserError($"{Root} has no {LabStore.FileName}: not a lab folder (run a grid into it first)");
        return LabStore.Open(StorePath, readOnly: true);
    }
}
