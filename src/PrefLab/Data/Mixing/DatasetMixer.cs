using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Data.Writing;
using PrefLab.Runtime;

namespace PrefLab.Data.Mixing;

/// <summary>Options of <see cref="DatasetMixer.Mix"/>.</summary>
public sealed record MixOptions
{
    /// <summary>How each input is read (format, skip-bad-rows, binarization).</summary>
    public ReadOptions Read { get; init; } = new();
    /// <summary>Total records to write; null = the sum of what each input gives.</summary>
    public long? Size { get; init; }
    public long Seed { get; init; }
}

/// <summary>
/// Mixes datasets of one kind (all preference data, all SFT, ...) into one JSONL file.
/// <list type="bullet">
/// <item>Deduplication by prompt: a prompt taken from one input is not taken again from a later one: the copy
/// from the input listed first wins. Records of one input that share a prompt are all kept (several pairs per
/// prompt are legitimate, e.g. all-pairs binarization).</item>
/// <item>Sizes: inputs are handled in order; each takes its number of records, uniformly at random without
/// replacement (seeded by <c>Seeding.Stream(seed, "data/mix/INDEX")</c>), from those whose prompt no earlier
/// input was given. Asking for more than that is an error naming the input.</item>
/// <item>Output: inputs in order, each in its file order. Records without a <c>source</c> get the input's
/// name (its file name without extension) so the mix stays traceable.</item>
/// </list>
/// Two streaming passes per input (one to count and hash prompts, 16 bytes a record; one to write).
/// </summary>
public static class DatasetMixer
{
    public static MixReport Mix(IReadOnlyList<MixInput> inputs, string output, MixOptions options)
    {
        if (inputs.Count == 0) throw UserError.InOption("input", "give at least one input");
        var datasets = inputs.Select(input => Dataset.Open(input.Path, options.Read)).ToArray();
        var kind = datasets[0].Kind;
        for (int i = 1; i < datasets.Length; i++)
            if (datasets[i].Kind != kind)
                throw UserError.InOption("input", $"{inputs[i].Path} holds {ReadReport.Unit(datasets[i].Kind)} ({datasets[i].Format.Name}) but {inputs[0].Path} holds {ReadReport.Unit(kind)}: a mix has one kind");

        // Pass 1: each record's prompt key, in file order.
        var keys = new List<UInt128>[datasets.Length];
        var readReports = new ReadReport[datasets.Length];
        for (int i = 0; i < datasets.Length; i++)
        {
            var records = datasets[i].Records();
            keys[i] = records.Select(PromptKey).ToList();
            readReports[i] = records.Report;
        }

        long[]? fixedTargets = options.Size is long size ? Shares(inputs, size) : null;
        var taken = new HashSet<UInt128>();
        var selected = new HashSet<int>[datasets.Length];
        var sources = new List<MixSourceReport>();
        for (int i = 0; i < datasets.Length; i++)
        {
            var available = new List<int>();
            for (int j = 0; j < keys[i].Count; j++)
                if (!taken.Contains(keys[i][j])) available.Add(j);
            long target = fixedTargets?[i] ?? inputs[i].Count ?? FractionOf(inputs[i], available.Count);
            if (target > available.Count)
                throw UserError.InOption("input", $"{inputs[i]}: asks for {target} records but {inputs[i].Path} has {available.Count}" +
                    (available.Count < keys[i].Count ? $" once the {keys[i].Count - available.Count} whose prompt an earlier input gave are removed" : ""));
            var random = Seeding.Stream(options.Seed, $"data/mix/{i}");
            // Partial Fisher-Yates: the first `target` places hold a uniform sample without replacement.
            for (int k = 0; k < target; k++)
            {
                int swap = k + random.Next(available.Count - k);
                (available[k], available[swap]) = (available[swap], available[k]);
            }
            selected[i] = available.Take((int)target).ToHashSet();
            foreach (int j in selected[i]) taken.Add(keys[i][j]);
            sources.Add(new MixSourceReport(inputs[i], datasets[i].Format.Name, keys[i].Count, keys[i].Count - available.Count, target, readReports[i]));
        }

        JsonlWriter.Write(output, Selected());
        return new MixReport { Output = output, Kind = kind, Seed = options.Seed, Size = options.Size, Sources = sources };

        IEnumerable<DataRecord> Selected()
        {
            for (int i = 0; i < datasets.Length; i++)
            {
                int index = 0;
                foreach (var record in datasets[i].Records())
                {
                    if (selected[i].Contains(index++))
                        yield return record.Source is null ? record with { Source = inputs[i].Name } : record;
                }
            }
        }
    }

    /// <summary>The prompt a record is deduplicated by (a text record's whole text).</summary>
    internal static UInt128 PromptKey(DataRecord record) => record switch
    {
        PreferencePair pair => ContentKey.Of(pair.Prompt),
        SftExample example => ContentKey.Of(MessageList.UpToLastUserTurn(example.Messages)),
        PromptRecord prompt => ContentKey.Of(prompt.Messages),
        TextRecord text => ContentKey.Of(text.Text),
        _ => throw new ArgumentException($"no prompt for {record.GetType().Name}", nameof(record)),
    };

    static long FractionOf(MixInput input, int available)
    {
        double weight = input.Weight ?? 1.0;
        if (weight > 1)
            throw UserError.InOption("input", $"{input}: without --size a weight is the fraction of the dataset to take (at most 1.0); give --size to use weights as shares, or a whole number of records");
        return (long)Math.Round(weight * available, MidpointRounding.AwayFromZero);
    }

    /// <summary>With a total size: absolute counts as given; the rest split by weight, rounded by largest
    /// remainder (earlier inputs first among equal remainders) so the parts add up to the size exactly.</summary>
    internal static long[] Shares(IReadOnlyList<MixInput> inputs, long size)
    {
        if (size <= 0) throw UserError.InOption("size", "must be positive");
        long fixedTotal = inputs.Sum(input => input.Count ?? 0);
        long rest = size - fixedTotal;
        if (rest < 0) throw UserError.InOption("size", $"{size} is less than the {fixedTotal} records the inputs ask for by number");
        double weightTotal = inputs.Sum(input => input.Count is null ? input.Weight ?? 1.0 : 0);
        if (weightTotal == 0)
            return rest == 0 ? inputs.Select(input => input.Count!.Value).ToArray()
                : throw UserError.InOption("size", $"{size} differs from the {fixedTotal} records the inputs ask for, and no input has a weight to make up the difference");
        var shares = new long[inputs.Count];
        var remainders = new List<(double Remainder, int Index)>();
        long assigned = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Count is long count)
            {
                shares[i] = count;
                continue;
            }
            double exact = rest * (inputs[i].Weight ?? 1.0) / weightTotal;
            shares[i] = (long)Math.Floor(exact);
            assigned += shares[i];
            remainders.Add((exact - shares[i], i));
        }
        foreach (var (_, index) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Index).Take((int)(rest - assigned)))
            shares[index]++;
        return shares;
    }
}
