using System.Globalization;
using PrefLab.Runtime;

namespace PrefLab.Data.Mixing;

/// <summary>
/// One dataset of a mix: <c>FILE</c>, <c>FILE:WEIGHT</c> or <c>FILE:N</c>. A number with a decimal point
/// (<c>0.5</c>, <c>1.0</c>) is a weight; a whole number without one (<c>5000</c>) is an absolute number of
/// records; no suffix is weight 1.0. Without a total size a weight is the fraction of the dataset to take
/// (at most 1); with one, weights share what the absolute counts leave, in proportion.
/// </summary>
public sealed record MixInput(string Path, double? Weight, long? Count)
{
    public static MixInput Parse(string spec)
    {
        int colon = spec.LastIndexOf(':');
        if (colon > 0 && colon < spec.Length - 1)
        {
            string path = spec[..colon], amount = spec[(colon + 1)..];
            bool decimalPoint = amount.Contains('.');
            if (!decimalPoint && long.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                return count > 0 ? new MixInput(path, null, count) : throw UserError.InOption("input", $"'{spec}': the number of records must be positive");
            if (decimalPoint && double.TryParse(amount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double weight))
                return weight > 0 && double.IsFinite(weight) ? new MixInput(path, weight, null) : throw UserError.InOption("input", $"'{spec}': the weight must be positive");
        }
        return new MixInput(spec, 1.0, null);
    }

    /// <summary>The file name without .jsonl/.json/.parquet/.gz: the source name given to records without one.</summary>
    public string Name
    {
        get
        {
            string name = System.IO.Path.GetFileName(Path);
            foreach (string extension in new[] { ".gz", ".jsonl", ".json", ".parquet" })
                if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) name = name[..^extension.Length];
            return name;
        }
    }

    public override string ToString() =>
        Count is long n ? $"{Path}:{n}" : $"{Path}:{Weight!.Value.ToString("0.0###", CultureInfo.InvariantCulture)}";
}
