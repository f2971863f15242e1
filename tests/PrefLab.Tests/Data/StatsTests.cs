using PrefLab.Data.Reading;
using PrefLab.Data.Stats;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class StatsTests
{
    /// <summary>Word counts (prompt, chosen, rejected): (3,2,1), (1,1,3), (2,4,1), (5,1,1); then a bad row and
    /// an identical pair.</summary>
    internal static string StatsFile(TempDir dir) => Jsonl(dir, "stats.jsonl",
        """{"prompt":"a b c","chosen":"x y","rejected":"z","category":"math","source":"s1"}""",
        """{"prompt":"a","chosen":"x","rejected":"y z w","category":"math","source":"s1"}""",
        """{"prompt":"a  b","chosen":"one two\nthree four","rejected":"five","category":"chat","source":"s2"}""",
        """{"prompt":"a b c d e","chosen":"q","rejected":"r","source":"s1","subset":"x"}""",
        """{"prompt":"broken""",
        """{"prompt":"p","chosen":"same","rejected":"same"}""");

    [Fact]
    public void Pair_statistics_are_these_numbers()
    {
        using var dir = new TempDir();
        string path = StatsFile(dir);
        var stats = DatasetStats.Compute(Dataset.Open(path, new ReadOptions { SkipBadRows = true }));
        Assert.Equal("words", stats.LengthUnit);
        Assert.Equal(6, stats.Report.RowsRead);
        Assert.Equal(4, stats.Report.Produced);
        Assert.Equal(1, stats.Report.Skipped["invalid JSON"]);
        Assert.Equal(1, stats.Report.Dropped["chosen and rejected identical"]);
        Assert.Equal(new LengthSummary(4, 2.75, 2, 5, 5, 5), stats.Lengths["prompt"]);
        Assert.Equal(new LengthSummary(4, 2.0, 1, 4, 4, 4), stats.Lengths["chosen"]);
        Assert.Equal(new LengthSummary(4, 1.5, 1, 3, 3, 3), stats.Lengths["rejected"]);
        Assert.Equal(new[] { "prompt", "chosen", "rejected" }, stats.Lengths.Keys);
        Assert.Equal(0.5, stats.MeanChosenMinusRejected);
        Assert.Equal(0.5, stats.ChosenLongerFraction);
        Assert.Equal(0.25, stats.EqualLengthFraction);
        Assert.Equal(new Dictionary<string, long> { ["s1"] = 3, ["s2"] = 1 }, stats.BySource.ToDictionary());
        Assert.Equal(new Dictionary<string, long> { ["chat"] = 1, ["math"] = 2 }, stats.ByCategory.ToDictionary());
        Assert.Equal(new Dictionary<string, long> { ["x"] = 1 }, stats.BySubset.ToDictionary());
        Assert.Contains("length bias chosen - rejected: mean +0.5 words; chosen longer in 50.0% of pairs (equal length in 25.0%)", stats.ToText());
    }

    [Fact]
    public void A_length_function_replaces_word_counts()
    {
        using var dir = new TempDir();
        string path = StatsFile(dir);
        var stats = DatasetStats.Compute(Dataset.Open(path, new ReadOptions { SkipBadRows = true }), text => text.Length, "chars");
        Assert.Equal("chars", stats.LengthUnit);
        // Characters: chosen 3, 1, 18, 1; rejected 1, 5, 4, 1.
        Assert.Equal(new LengthSummary(4, 23 / 4.0, 1, 18, 18, 18), stats.Lengths["chosen"]);
        Assert.Equal((2 - 4 + 14 + 0) / 4.0, stats.MeanChosenMinusRejected);
        Assert.Contains("lengths in chars", stats.ToText());
    }

    [Fact]
    public void Sft_and_prompt_files_report_their_parts()
    {
        using var dir = new TempDir();
        string sft = Jsonl(dir, "sft.jsonl",
            """{"messages":[{"role":"user","content":"one two"},{"role":"assistant","content":"three"},{"role":"user","content":"four"},{"role":"assistant","content":"five six seven"}]}""");
        var stats = DatasetStats.Compute(Dataset.Open(sft));
        Assert.Equal(new LengthSummary(1, 4, 4, 4, 4, 4), stats.Lengths["prompt"]);
        Assert.Equal(new LengthSummary(1, 3, 3, 3, 3, 3), stats.Lengths["response"]);
        Assert.Null(stats.MeanChosenMinusRejected);
        Assert.Null(stats.ToJson()["mean_chosen_minus_rejected"]);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        Assert.Equal(new LengthSummary(100, 50.5, 50, 90, 99, 100), LengthSummary.Of(Enumerable.Range(1, 100).ToArray()));
        Assert.Equal(new LengthSummary(10, 5.5, 5, 9, 10, 10), LengthSummary.Of(Enumerable.Range(1, 10).Reverse().ToArray()));
        Assert.Equal(new LengthSummary(1, 7, 7, 7, 7, 7), LengthSummary.Of([7]));
        Assert.Equal(new LengthSummary(0, 0, 0, 0, 0, 0), LengthSummary.Of([]));
        Assert.Equal(3, DatasetStats.WordCount("  a\tb\n c  "));
        Assert.Equal(0, DatasetStats.WordCount(""));
    }
}
