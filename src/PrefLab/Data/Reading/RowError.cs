using System.Text.RegularExpressions;

namespace PrefLab.Data.Reading;

/// <summary>A malformed row: thrown while a row is parsed and turned, by <see cref="ReadContext"/>, into a
/// <see cref="Runtime.UserError"/> naming file, line and field, or into a counted skip.</summary>
internal sealed partial class RowError(string? field, string reason, string? detail = null) : Exception(reason)
{
    /// <summary>The field's path in the row, e.g. <c>completions[2].annotations.honesty.Rating</c>.</summary>
    public string? Field { get; } = field;
    /// <summary>What is wrong, the same for every row with this problem (it is the skip reason).</summary>
    public string Reason { get; } = reason;
    /// <summary>This row's particulars, e.g. "found a number".</summary>
    public string? Detail { get; } = detail;

    public string What => Detail is null ? Reason : $"{Reason}, {Detail}";

    /// <summary>The key skips are counted under: list indices are dropped so that every row with the same
    /// problem counts once under one reason.</summary>
    public string ReasonKey => Field is null ? Reason : $"field '{Indices().Replace(Field, "[]")}': {Reason}";

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Indices();
}
