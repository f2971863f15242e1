using PrefLab.Statistics;

namespace PrefLab.Lab.Report;

public sealed record LabReportOptions
{
    /// <summary>Only runs of grids with this name (null: every run in the lab folder).</summary>
    public string? Grid { get; init; }

    /// <summary>Resamples, confidence and seed of every interval (percentile bootstrap over items and seeds).</summary>
    public BootstrapOptions Bootstrap { get; init; } = new() { Resamples = 2000, Confidence = 0.95, Seed = 0 };

    /// <summary>Baseline level per factor (data, algorithm, reward_model, prompts); a factor not named takes its first
    /// level (in the order of the earliest grid that has it). <c>algorithm</c> chooses the DPO level of analyses 1 and 2.</summary>
    public IReadOnlyDictionary<string, string> Baselines { get; init; } = new Dictionary<string, string>();

    /// <summary>Write PNG plots into <c>plots/</c>.</summary>
    public bool Plots { get; init; } = true;
}

/// <summary>What <see cref="LabReport.Write"/> produced.</summary>
public sealed record LabReportResult(string ReportPath, IReadOnlyList<string> Plots, string Markdown, int Runs, HeadlineData Headline, InstrumentFigures Instrument,
    UtilisationFigures Utilisation)
{
    /// <summary>The paper's findings this run can test, each with its interval and outcome.</summary>
    public IReadOnlyList<FindingCheck> Findings { get; init; } = [];

    /// <summary>The grid name the report was restricted to (<see cref="LabReportOptions.Grid"/>), or null for every grid.</summary>
    public string? GridName { get; init; }
}
