using PrefLab.Data.Reading;

namespace PrefLab.Data.Writing;

/// <summary>Whole-file conversions behind <c>preflab data convert</c> and <c>data prompts</c>.</summary>
public static class DatasetExport
{
    /// <summary>Writes every record of <paramref name="input"/> in PrefLab's normalised JSONL form
    /// (<see cref="RecordJson"/>): preference formats become <c>pairwise</c> message lists keeping margin, id,
    /// source, category and subset.</summary>
    public static ReadReport Convert(string input, string output, ReadOptions? options = null)
    {
        var records = Dataset.Open(input, options).Records();
        JsonlWriter.Write(output, records);
        return records.Report;
    }

    /// <summary>Writes the distinct prompts of <paramref name="input"/> (any format but text) as a prompt set:
    /// <c>{"prompt"}</c> rows for single user turns, <c>{"messages"}</c> otherwise; the first copy of a
    /// repeated prompt wins.</summary>
    public static ReadReport Prompts(string input, string output, ReadOptions? options = null)
    {
        var prompts = Dataset.Open(input, options).Prompts(distinct: true);
        JsonlWriter.Write(output, prompts);
        return prompts.Report;
    }
}
