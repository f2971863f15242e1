using PrefLab.Data.Mixing;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class MixTests
{
    static string Pairs(TempDir dir, string name, IEnumerable<string> prompts) =>
        Jsonl(dir, name, prompts.Select(p => $$"""{"prompt":"{{p}}","chosen":"good {{p}}","rejected":"bad {{p}}"}""").ToArray());

    /// <summary>A: prompts a0..a9. B: b0, b1, a0, b2..b5, a1, b6, b7 (two prompts A also has).</summary>
    static (string A, string B) Files(TempDir dir) => (
        Pairs(dir, "A.jsonl", Enumerable.Range(0, 10).Select(i => $"a{i}")),
        Pairs(dir, "B.jsonl", ["b0", "b1", "a0", "b2", "b3", "b4", "b5", "a1", "b6", "b7"]));

    static List<PreferencePair> Output(string path) => DatasetReader.ReadPairs(path).ToList();

    [Fact]
    public void Whole_datasets_mix_with_the_first_inputs_copy_of_a_prompt_winning()
    {
        using var dir = new TempDir();
        var (a, b) = Files(dir);
        string output = dir.File("mix.jsonl");
        var report = DatasetMixer.Mix([MixInput.Parse(a), MixInput.Parse(b)], output, new MixOptions());
        var mixed = Output(output);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"a{i}").Concat(Enumerable.Range(0, 8).Select(i => $"b{i}")),
            mixed.Select(p => p.Prompt[0].Content));
        Assert.Equal(Enumerable.Repeat("A", 10).Concat(Enumerable.Repeat("B", 8)), mixed.Select(p => p.Source));
        Assert.Equal(18, report.Total);
        Assert.Equal(new long[] { 10, 10 }, report.Sources.Select(s => s.Records));
        Assert.Equal(new long[] { 0, 2 }, report.Sources.Select(s => s.DuplicatePrompts));
        Assert.Equal(new long[] { 10, 8 }, report.Sources.Select(s => s.Selected));
        Assert.Equal(2, report.ToJson()["inputs"]![1]!["duplicate_prompts"]!.GetValue<long>());
    }

    [Fact]
    public void Counts_sample_without_replacement_seeded_and_keep_file_order()
    {
        using var dir = new TempDir();
        var (a, b) = Files(dir);
        string Mix(long seed, string name)
        {
            string output = dir.File(name);
            DatasetMixer.Mix([MixInput.Parse(a + ":3"), MixInput.Parse(b + ":4")], output, new MixOptions { Seed = seed });
            return output;
        }
        var mixed = Output(Mix(5, "m5.jsonl"));
        var prompts = mixed.Select(p => p.Prompt[0].Content).ToList();
        Assert.Equal(7, prompts.Count);
        Assert.Equal(prompts.Count, prompts.Distinct().Count());
        var fromA = prompts.Take(3).ToList();
        Assert.All(fromA, p => Assert.StartsWith("a", p));
        Assert.Equal(fromA.OrderBy(p => int.Parse(p[1..])), fromA);
        Assert.All(mixed.Take(3), p => Assert.Equal("A", p.Source));
        Assert.All(mixed.Skip(3), p => Assert.Equal("B", p.Source));
        Assert.Equal(File.ReadAllText(Mix(5, "m5b.jsonl")), File.ReadAllText(dir.File("m5.jsonl")));
        Assert.NotEqual(File.ReadAllText(Mix(6, "m6.jsonl")), File.ReadAllText(dir.File("m5.jsonl")));
    }

    [Fact]
    public void Every_record_is_equally_likely_to_be_sampled()
    {
        using var dir = new TempDir();
        var (a, _) = Files(dir);
        var counts = new Dictionary<string, int>();
        for (long seed = 0; seed < 100; seed++)
        {
            string output = dir.File("m.jsonl");
            DatasetMixer.Mix([MixInput.Parse(a + ":3")], output, new MixOptions { Seed = seed });
            foreach (var pair in Output(output)) counts[pair.Prompt[0].Content] = counts.GetValueOrDefault(pair.Prompt[0].Content) + 1;
        }
        // 300 draws over 10 records: 30 each expected, standard deviation about 4.6.
        Assert.Equal(10, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 12, 48));
    }

    [Fact]
    public void Weights_are_fractions_without_a_size_and_shares_with_one()
    {
        using var dir = new TempDir();
        var (a, b) = Files(dir);
        string c = Pairs(dir, "C.jsonl", Enumerable.Range(0, 10).Select(i => $"c{i}"));
        string output = dir.File("m.jsonl");

        var fractions = DatasetMixer.Mix([MixInput.Parse(a + ":0.5"), MixInput.Parse(c + ":0.25")], output, new MixOptions());
        Assert.Equal(new long[] { 5, 3 }, fractions.Sources.Select(s => s.Selected)); // 2.5 rounds away from zero
        // A fraction is of what is left once prompts an earlier input gave are removed.
        var ofAvailable = DatasetMixer.Mix([MixInput.Parse(a), MixInput.Parse(b + ":0.5")], output, new MixOptions());
        Assert.Equal(new long[] { 10, 4 }, ofAvailable.Sources.Select(s => s.Selected));

        var shares = DatasetMixer.Mix([MixInput.Parse(a + ":1.0"), MixInput.Parse(c + ":3.0")], output, new MixOptions { Size = 8 });
        Assert.Equal(new long[] { 2, 6 }, shares.Sources.Select(s => s.Selected));
        Assert.Equal(8, Output(output).Count);

        var largestRemainder = DatasetMixer.Mix([MixInput.Parse(a), MixInput.Parse(b + ":1.0"), MixInput.Parse(c)], output, new MixOptions { Size = 10 });
        Assert.Equal(new long[] { 4, 3, 3 }, largestRemainder.Sources.Select(s => s.Selected));

        var mixed = DatasetMixer.Mix([MixInput.Parse(a + ":2"), MixInput.Parse(c + ":2.0")], output, new MixOptions { Size = 7 });
        Assert.Equal(new long[] { 2, 5 }, mixed.Sources.Select(s => s.Selected));
    }

    [Fact]
    public void Impossible_mixes_are_errors_naming_the_input_or_option()
    {
        using var dir = new TempDir();
        var (a, b) = Files(dir);
        string output = dir.File("m.jsonl");
        Assert.Equal($"option --input: {b}:9: asks for 9 records but {b} has 8 once the 2 whose prompt an earlier input gave are removed",
            ErrorOf(() => DatasetMixer.Mix([MixInput.Parse(a), MixInput.Parse(b + ":9")], output, new MixOptions())));
        Assert.Equal($"option --input: {a}:1.5: without --size a weight is the fraction of the dataset to take (at most 1.0); give --size to use weights as shares, or a whole number of records",
            ErrorOf(() => DatasetMixer.Mix([MixInput.Parse(a + ":1.5")], output, new MixOptions())));
        Assert.Equal("option --size: 5 is less than the 7 records the inputs ask for by number",
            ErrorOf(() => DatasetMixer.Mix([MixInput.Parse(a + ":3"), MixInput.Parse(b + ":4")], output, new MixOptions { Size = 5 })));
        Assert.Equal("option --size: 9 differs from the 7 records the inputs ask for, and no input has a weight to make up the difference",
            ErrorOf(() => DatasetMixer.Mix([MixInput.Parse(a + ":3"), MixInput.Parse(b + ":4")], output, new MixOptions { Size = 9 })));
        string prompts = Jsonl(dir, "prompts.jsonl", """{"prompt":"x"}""");
        Assert.Equal($"option --input: {prompts} holds prompts (prompts) but {a} holds pairs: a mix has one kind",
            ErrorOf(() => DatasetMixer.Mix([MixInput.Parse(a), MixInput.Parse(prompts)], output, new MixOptions())));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Input_specs_parse_weights_counts_and_plain_paths()
    {
        Assert.Equal(new MixInput("data/x.jsonl", 0.5, null), MixInput.Parse("data/x.jsonl:0.5"));
        Assert.Equal(new MixInput("x.jsonl", null, 500), MixInput.Parse("x.jsonl:500"));
        Assert.Equal(new MixInput("x.jsonl", 1.0, null), MixInput.Parse("x.jsonl"));
        Assert.Equal(new MixInput("C:\\data\\x.jsonl", 2.0, null), MixInput.Parse("C:\\data\\x.jsonl:2.0"));
        Assert.Equal(new MixInput("x.jsonl:abc", 1.0, null), MixInput.Parse("x.jsonl:abc"));
        Assert.Equal("x", MixInput.Parse("dir/x.jsonl.gz:3").Name);
        Assert.Equal("option --input: 'x.jsonl:0': the number of records must be positive", ErrorOf(() => MixInput.Parse("x.jsonl:0")));
    }
}
