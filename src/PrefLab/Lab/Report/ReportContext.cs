using PrefLab.Lab.Store;
using PrefLab.Plots;

namespace PrefLab.Lab.Report;

/// <summary>What every part of the report reads from: the store, the configurations, the item scores, and where plots go.</summary>
internal sealed class ReportContext(LabStore store, ConfigSet configs, ScoreBook book, LabFolder folder, LabReportOptions options)
{
    public LabStore Store { get; } = store;
    public ConfigSet Configs { get; } = configs;
    public ScoreBook Book { get; } = book;
    public LabFolder Folder { get; } = folder;
    public LabReportOptions Options { get; } = options;
    public List<string> Plots { get; } = [];

    /// <summary>A node's folder, <c>work/KIND/ID</c>.</summary>
    public string NodeFolder(NodeState node) => Path.Combine(Folder.WorkFolder, node.Kind, node.Id);

    /// <summary>The folder of the World the lab's world node wrote, when it holds a world.json; else null.</summary>
    public string? WorldFolder => Store.Nodes().FirstOrDefault(n => n.Kind == "world" && n.Status == NodeStatus.Done) is { } node
        && File.Exists(Path.Combine(NodeFolder(node), World.WorldManifest.FileName)) ? NodeFolder(node) : null;

    /// <summary>Draws a plot into <c>plots/NAME</c> when plots are on; returns the Markdown that shows it (or "").</summary>
    public string Plot(string name, string caption, Action<string> draw)
    {
        if (!Options.Plots) return "";
        string path = Path.Combine(Folder.PlotsFolder, name);
        draw(path);
        Plots.Add(path);
        return $"\n![{caption}](plots/{name})\n";
    }

    /// <summary>Bars of a score table: one group per category and one for the average.</summary>
    public string ScoreBars(string name, string title, ScoreTable table) => table.IsEmpty ? "" :
        Plot(name, title, path => LabPlots.CategoryBars(path, title, "score (95% CI)", table.Rows.Select(r => r.Label).ToList(),
            table.Categories.Select(c => new BarGroup(c, table.Rows.Select(r => r.Categories[c]).ToList()))
                .Append(new BarGroup("average", table.Rows.Select(r => r.Average).ToList())).ToList()));
}
