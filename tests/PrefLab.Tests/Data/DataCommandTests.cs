using System.Text.Json.Nodes;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class DataCommandTests
{
    [Fact]
    public void Stats_prints_the_numbers_as_json_and_as_text()
    {
        using var dir = new TempDir();
        string path = StatsTests.StatsFile(dir);
        var (exit, output, error) = Run("data", "stats", path, "--skip-bad-rows", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("pairwise", json["format"]!.GetValue<string>());
        Assert.Equal(6, json["rows"]!.GetValue<long>());
        Assert.Equal(4, json["pairs"]!.GetValue<long>());
        Assert.Equal(1, json["skipped"]!["invalid JSON"]!.GetValue<long>());
        Assert.Equal(5, json["lengths"]!["prompt"]!["p90"]!.GetValue<int>());
        Assert.Equal(0.5, json["mean_chosen_minus_rejected"]!.GetValue<double>());
        Assert.Equal(0.25, json["equal_length_fraction"]!.GetValue<double>());
        Assert.Equal(2, json["by_category"]!["math"]!.GetValue<long>());
        Assert.Equal("words", json["length_unit"]!.GetValue<string>());

        var text = Run("data", "stats", path, "--skip-bad-rows");
        Assert.Equal(0, text.Exit);
        Assert.Contains("lengths in words", text.Out);
        Assert.Contains("skipped:\n  invalid JSON: 1", text.Out.Replace("\r\n", "\n"));
        Assert.Contains("chosen longer in 50.0% of pairs", text.Out);
    }

    [Fact]
    public void A_malformed_row_stops_the_command_with_one_line_and_writes_nothing()
    {
        using var dir = new TempDir();
        string path = StatsTests.StatsFile(dir);
        string output = dir.File("out.jsonl");
        var (exit, _, error) = Run("data", "convert", path, "--output", output);
        Assert.Equal(2, exit);
        Assert.StartsWith($"preflab: error: {path}:5: invalid JSON, ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(output));
        Assert.DoesNotContain(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories), AtomicFile.IsTemporary);
    }

    [Fact]
    public void Convert_writes_pairwise_message_lists_and_reports()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "uf.jsonl",
            """{"instruction":"Q","id":"u","completions":[{"response":"a","overall_score":9},{"response":"b","overall_score":2},{"response":"c","overall_score":5}]}""");
        string output = dir.File("out.jsonl");
        var (exit, stdout, _) = Run("data", "convert", path, "--output", output, "--binarize", "best-worst", "--score", "overall");
        Assert.Equal(0, exit);
        Assert.Equal(
            """{"prompt":[{"role":"user","content":"Q"}],"chosen":[{"role":"assistant","content":"a"}],"rejected":[{"role":"assistant","content":"b"}],"margin":7,"id":"u"}""" + "\n",
            File.ReadAllText(output));
        Assert.Contains($"wrote 1 pairs to {output}", stdout);
        Assert.Contains("(best-worst by overall)", stdout);

        var json = Run("data", "convert", path, "--output", output, "--binarize", "all-pairs", "--score", "overall", "--json");
        Assert.Equal(3, JsonNode.Parse(json.Out)!["pairs"]!.GetValue<long>());
        Assert.Equal(3, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void Prompts_writes_a_distinct_prompt_set()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "hh.jsonl",
            """{"chosen":"\n\nHuman: Hi\n\nAssistant: a","rejected":"\n\nHuman: Hi\n\nAssistant: b","category":"chat"}""",
            """{"chosen":"\n\nHuman: Hi\n\nAssistant: c","rejected":"\n\nHuman: Hi\n\nAssistant: d"}""",
            """{"chosen":"\n\nHuman: 1\n\nAssistant: 2\n\nHuman: 3\n\nAssistant: 4","rejected":"\n\nHuman: 1\n\nAssistant: 2\n\nHuman: 3\n\nAssistant: 5"}""");
        string output = dir.File("prompts.jsonl");
        var (exit, stdout, _) = Run("data", "prompts", path, "--output", output);
        Assert.Equal(0, exit);
        Assert.Equal(new[]
        {
            """{"prompt":"Hi","category":"chat"}""",
            """{"messages":[{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":"3"}]}""",
        }, File.ReadAllLines(output));
        Assert.Contains("duplicate prompt: 1", stdout);
        Assert.Equal("prompts", PrefLab.Data.Reading.Dataset.Open(output).Format.Name);
    }

    [Fact]
    public void Mix_reports_per_source_counts()
    {
        using var dir = new TempDir();
        string a = Jsonl(dir, "a.jsonl", """{"prompt":"x","chosen":"1","rejected":"2"}""", """{"prompt":"y","chosen":"1","rejected":"2"}""");
        string b = Jsonl(dir, "b.jsonl", """{"prompt":"y","chosen":"3","rejected":"4"}""", """{"prompt":"z","chosen":"3","rejected":"4","source":"own"}""");
        string output = dir.File("mix.jsonl");
        var (exit, stdout, error) = Run("data", "mix", "--input", a, "--input", b, "--output", output, "--seed", "3", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal(3, json["total"]!.GetValue<long>());
        Assert.Equal(1, json["inputs"]![1]!["duplicate_prompts"]!.GetValue<long>());
        Assert.Equal(new[] { "a", "a", "own" }, PrefLab.Data.Reading.DatasetReader.ReadPairs(output).Select(p => p.Source));

        var text = Run("data", "mix", "--input", a, "--input", b + ":1", "--output", output, "--size", "3");
        Assert.Equal(0, text.Exit);
        Assert.Contains("wrote 3 pairs to", text.Out);
        Assert.Contains("  a: 2 of 2 (2 read, 0 with a prompt an earlier input gave) [pairwise]", text.Out);
        Assert.Contains("  b: 1 of 1 (2 read, 1 with a prompt an earlier input gave) [pairwise]", text.Out);
    }

    [Theory]
    [InlineData("--binarize", "best-worst", "option --binarize: applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {0} is pairwise")]
    [InlineData("--score", "overall", "option --score: applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {0} is pairwise")]
    [InlineData("--format", "parquet", "option --format: unknown format 'parquet'; known: pairwise, hh, ultrafeedback, nectar, helpsteer, arena, shp, unpaired, sft, text, prompts")]
    [InlineData("--binarize", "best", "option --binarize: unknown strategy 'best'; known: mean-aspects, overall, best-random, best-worst, all-pairs")]
    public void Options_that_do_not_apply_or_do_not_exist_are_refused(string option, string value, string expected)
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "p.jsonl", """{"prompt":"x","chosen":"1","rejected":"2"}""");
        var (exit, _, error) = Run("data", "stats", path, option, value);
        Assert.Equal(2, exit);
        Assert.Equal("preflab: error: " + string.Format(expected, path), error.TrimEnd());
    }

    [Fact]
    public void Missing_output_and_a_bad_size_are_option_errors()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "p.jsonl", """{"prompt":"x","chosen":"1","rejected":"2"}""");
        var missing = Run("data", "convert", path);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--output", missing.Err);
        var size = Run("data", "mix", "--input", path, "--output", dir.File("m.jsonl"), "--size", "0");
        Assert.Equal(2, size.Exit);
        Assert.Equal("preflab: error: option --size: must be positive", size.Err.TrimEnd());
    }
}

public class DataStatsTokenizerTests
{
    [Fact]
    public void Stats_count_lengths_in_tokens_with_a_tokenizer()
    {
        using var dir = new TempDir();
        string path = dir.File("p.jsonl");
        File.WriteAllText(path, """{"prompt":"hello world","chosen":"abc defgh","rejected":"abc"}""" + "\n");
        var words = System.Text.Json.Nodes.JsonNode.Parse(Run("data", "stats", path, "--json").Out)!;
        Assert.Equal("words", words["length_unit"]!.GetValue<string>());
        var (exit, output, _) = Run("data", "stats", path, "--json", "--tokenizer", PrefLab.Tests.Text.TokenizerFixtures.Folder("gpt2"));
        Assert.Equal(0, exit);
        var tokens = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal("tokens", tokens["length_unit"]!.GetValue<string>());
        // In words chosen is 1 longer; in GPT-2 tokens "abc defgh" is "abc", " def", "gh" and "abc" one token: 2 longer.
        Assert.Equal(1, words["mean_chosen_minus_rejected"]!.GetValue<double>());
        Assert.Equal(2, tokens["mean_chosen_minus_rejected"]!.GetValue<double>());
    }
}
