using PrefLab.Data.Binarization;

namespace PrefLab.Data.Reading;

/// <summary>How a data file is read.</summary>
public sealed record ReadOptions
{
    /// <summary>A format name (<see cref="DataFormats.Names"/>); null detects it from the first row's fields.</summary>
    public string? Format { get; init; }

    /// <summary>Skip malformed rows and count them by reason in the <see cref="ReadReport"/>, instead of
    /// stopping with an error naming the file, line and field.</summary>
    public bool SkipBadRows { get; init; }

    /// <summary>How multi-response formats (ultrafeedback, nectar, helpsteer) become pairs.</summary>
    public BinarizeOptions Binarize { get; init; } = new();
}
