using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Data.Writing;
using PrefLab.Runtime;
using Parquet.Schema;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

/// <summary>UltraFeedback rows and every binarization strategy's exact pairs. Completion scores of the first
/// row: mean of aspect ratings A 4.75, B 2.0 ("N/A" left out), C 4.0, D 1.0; overall_score A 6, B 9, C 7, D 2.</summary>
public class UltraFeedbackFormatTests
{
    const string Prime = """{"instruction":"Name a prime","source":"evol_instruct","id":"u1","completions":[""" +
        """{"model":"ma","response":"2","annotations":{"helpfulness":{"Rating":"5","Rationale":"r"},"honesty":{"Rating":"4","Rationale":"r"},"truthfulness":{"Rating":"5","Rationale":"r"},"instruction_following":{"Rating":"5","Rationale":"r"}},"fine-grained_score":4.75,"overall_score":6},""" +
        """{"model":"mb","response":"4","annotations":{"helpfulness":{"Rating":"1","Rationale":"r"},"honesty":{"Rating":"N/A","Rationale":"r"},"truthfulness":{"Rating":"2","Rationale":"r"},"instruction_following":{"Rating":"3","Rationale":"r"}},"fine-grained_score":2.0,"overall_score":9},""" +
        """{"model":"mc","response":"7","annotations":{"helpfulness":{"Rating":"4","Rationale":"r"},"honesty":{"Rating":"4","Rationale":"r"},"truthfulness":{"Rating":"4","Rationale":"r"},"instruction_following":{"Rating":"4","Rationale":"r"}},"fine-grained_score":4.0,"overall_score":7},""" +
        """{"model":"md","response":"9","annotations":{"helpfulness":{"Rating":"1","Rationale":"r"},"honesty":{"Rating":"1","Rationale":"r"},"truthfulness":{"Rating":"1","Rationale":"r"},"instruction_following":{"Rating":"1","Rationale":"r"}},"fine-grained_score":1.0,"overall_score":2}]}""";

    const string Tied = """{"instruction":"Tie","completions":[{"response":"x","annotations":{"helpfulness":{"Rating":3},"honesty":{"Rating":3}},"overall_score":5},{"response":"y","annotations":{"helpfulness":{"Rating":"3"},"honesty":{"Rating":"3"}},"overall_score":5}]}""";

    const string Lonely = """{"instruction":"One","completions":[{"response":"only","annotations":{"helpfulness":{"Rating":"5"}},"overall_score":5},{"response":"unrated","annotations":{"helpfulness":{"Rating":"N/A"}}}]}""";

    static string Pair(string chosen, string rejected, double margin) =>
        $$"""{"prompt":[{"role":"user","content":"Name a prime"}],"chosen":[{"role":"assistant","content":"{{chosen}}"}],"rejected":[{"role":"assistant","content":"{{rejected}}"}],"margin":{{margin.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"id":"u1","source":"evol_instruct"}""";

    static RecordStream<PreferencePair> Read(string path, string strategy, long seed = 0, string? score = null) =>
        DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy(strategy, score, seed) });

    [Fact]
    public void Best_worst_by_mean_aspects_by_overall_and_ties()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime, Tied, Lonely);
        var byMean = Read(path, "best-worst");
        Assert.Equal(new[] { Pair("2", "9", 3.75) }, Lines(byMean));
        Assert.Equal("ultrafeedback", byMean.Report.Format);
        Assert.Equal("best-worst by mean-aspects", byMean.Report.Binarization);
        Assert.Equal(3, byMean.Report.RowsRead);
        Assert.Equal(1, byMean.Report.TiesDropped);
        Assert.Equal(1, byMean.Report.Dropped["response without a score"]);
        Assert.Equal(1, byMean.Report.Dropped["fewer than two scored responses"]);

        var byOverall = Read(path, "best-worst", score: "overall");
        Assert.Equal(new[] { Pair("4", "9", 7) }, Lines(byOverall));
        Assert.Equal(1, byOverall.Report.TiesDropped);
    }

    [Fact]
    public void All_pairs_yields_every_ordered_pair_and_counts_each_tie()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime, Tied);
        var pairs = Read(path, "all-pairs");
        Assert.Equal(new[]
        {
            Pair("2", "4", 2.75), Pair("2", "7", 0.75), Pair("2", "9", 3.75),
            Pair("7", "4", 2), Pair("4", "9", 1), Pair("7", "9", 3),
        }, Lines(pairs));
        Assert.Equal(1, pairs.Report.TiesDropped);
        Assert.Equal(6, pairs.Report.Produced);
    }

    [Fact]
    public void Mean_aspects_is_the_best_against_a_seeded_random_other()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime, Tied);
        var others = new Dictionary<string, double> { ["4"] = 2.75, ["7"] = 0.75, ["9"] = 3.75 };
        var seen = new HashSet<string>();
        for (long seed = 0; seed < 12; seed++)
        {
            var pairs = Read(path, "mean-aspects", seed).ToList();
            // The named stream decides: the first draw picks among the three others (index >= best's shifts by one).
            string expected = new[] { "4", "7", "9" }[Seeding.Stream(seed, "data/binarize").Next(3)];
            var pair = Assert.Single(pairs);
            Assert.Equal(Pair("2", expected, others[expected]), RecordJson.Line(pair));
            Assert.Equal(Lines(pairs), Lines(Read(path, "mean-aspects", seed)));
            seen.Add(expected);
        }
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void Overall_strategy_takes_the_best_overall_score()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime);
        var pair = Assert.Single(Read(path, "overall", seed: 3));
        Assert.Equal([Message.Assistant("4")], pair.Chosen);
        Assert.Contains(pair.Rejected[0].Content, new[] { "2", "7", "9" });
        Assert.Equal(9 - new Dictionary<string, double> { ["2"] = 6, ["7"] = 7, ["9"] = 2 }[pair.Rejected[0].Content], pair.Margin);
    }

    [Fact]
    public void A_completion_without_numeric_ratings_falls_back_to_its_fine_grained_score()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl",
            """{"instruction":"Q","completions":[{"response":"a","fine-grained_score":3.5},{"response":"b","annotations":{"honesty":{"Rating":"N/A"}},"fine-grained_score":1.5}]}""");
        var pair = Assert.Single(Read(path, "best-worst"));
        Assert.Equal("a", pair.Chosen[0].Content);
        Assert.Equal(2.0, pair.Margin);
    }

    [Fact]
    public void A_bad_rating_names_the_nested_field()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime,
            """{"instruction":"Q","completions":[{"response":"a","annotations":{"honesty":{"Rating":"5"}}},{"response":"b","annotations":{"honesty":{"Rating":"great"}}}]}""");
        Assert.Equal($"{path}:2: field 'completions[1].annotations.honesty.Rating': expected a number or \"N/A\", found 'great'",
            ErrorOf(() => Read(path, "mean-aspects").ToList()));
        var skipping = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true });
        Assert.Single(skipping.ToList());
        Assert.Equal(1, skipping.Report.Skipped["field 'completions[].annotations.honesty.Rating': expected a number or \"N/A\""]);
    }

    [Fact]
    public void Scores_that_the_format_lacks_and_unknown_strategies_are_refused()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl", Prime);
        Assert.Equal("format ultrafeedback has no score 'rank'; its scores: mean-aspects, overall",
            ErrorOf(() => Dataset.Open(path, new ReadOptions { Binarize = new BinarizeOptions { Score = "rank" } })));
        Assert.Equal("option --binarize: unknown strategy 'best'; known: mean-aspects, overall, best-random, best-worst, all-pairs",
            ErrorOf(() => BinarizeOptions.FromStrategy("best")));
        Assert.Equal("option --score: strategy 'overall' ranks by overall, not 'mean-aspects'; use best-random, best-worst or all-pairs with --score",
            ErrorOf(() => BinarizeOptions.FromStrategy("overall", "mean-aspects")));
    }

    [Fact]
    public void Parquet_with_completions_as_a_list_of_structs_yields_the_same_pairs_as_jsonl()
    {
        using var dir = new TempDir();
        string jsonl = Jsonl(dir, "uf.jsonl", Prime, Tied);
        var aspect = (string name) => new StructField(name, new DataField<string>("Rating"), new DataField<string>("Rationale"));
        var completion = new StructField("element",
            new DataField<string>("model"), new DataField<string>("response"),
            new StructField("annotations", aspect("helpfulness"), aspect("honesty"), aspect("truthfulness"), aspect("instruction_following")),
            new DataField<double?>("fine-grained_score"), new DataField<double?>("overall_score"));
        var schema = new ParquetSchema(new DataField<string>("instruction"), new DataField<string>("source"),
            new DataField<string>("id"), new ListField("completions", completion));
        static Dictionary<string, object?> Rating(string rating) => new() { ["Rating"] = rating, ["Rationale"] = "r" };
        static Dictionary<string, object?> Completion(string model, string response, string[] ratings, double? fine, double? overall) => new()
        {
            ["model"] = model, ["response"] = response,
            ["annotations"] = new Dictionary<string, object?>
            {
                ["helpfulness"] = Rating(ratings[0]), ["honesty"] = Rating(ratings[1]),
                ["truthfulness"] = Rating(ratings[2]), ["instruction_following"] = Rating(ratings[3]),
            },
            ["fine-grained_score"] = fine, ["overall_score"] = overall,
        };
        var rows = new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?>
            {
                ["instruction"] = "Name a prime", ["source"] = "evol_instruct", ["id"] = "u1",
                ["completions"] = new List<Dictionary<string, object?>>
                {
                    Completion("ma", "2", ["5", "4", "5", "5"], 4.75, 6), Completion("mb", "4", ["1", "N/A", "2", "3"], 2.0, 9),
                    Completion("mc", "7", ["4", "4", "4", "4"], 4.0, 7), Completion("md", "9", ["1", "1", "1", "1"], 1.0, 2),
                },
            },
            new Dictionary<string, object?>
            {
                ["instruction"] = "Tie", ["source"] = null, ["id"] = null,
                ["completions"] = new List<Dictionary<string, object?>>
                {
                    Completion("x", "x", ["3", "3", "N/A", "N/A"], null, 5), Completion("y", "y", ["3", "3", "N/A", "N/A"], null, 5),
                },
            },
        };
        string parquet = ParquetFile(dir, "uf.parquet", schema, rows);
        foreach (string strategy in new[] { "all-pairs", "best-worst", "mean-aspects" })
        {
            var fromParquet = Read(parquet, strategy);
            Assert.Equal(Lines(Read(jsonl, strategy)), Lines(fromParquet));
            Assert.Equal("ultrafeedback", fromParquet.Dataset.Format.Name);
            Assert.Equal("parquet", fromParquet.Dataset.Container);
            Assert.Equal(1, fromParquet.Report.TiesDropped);
        }
        Assert.Equal(new[] { $"{parquet}: row group 0, row 0" }, Origins(Read(parquet, "best-worst")));
    }
}
