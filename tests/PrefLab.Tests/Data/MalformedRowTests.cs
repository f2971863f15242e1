using PrefLab.Data.Reading;
using Parquet.Schema;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

/// <summary>Malformed rows: the exact one-line error (file, line or row group and row, field), and the
/// counts by reason with skip-bad-rows.</summary>
public class MalformedRowTests
{
    const string Good = """{"prompt":"p","chosen":"c","rejected":"r"}""";

    [Theory]
    [InlineData("""{"prompt":"p","chosen":"c"}""", "field 'rejected': missing")]
    [InlineData("""{"prompt":"p","chosen":5,"rejected":"r"}""", "field 'chosen': expected a string or a list of messages, found a number")]
    [InlineData("""{"prompt":"p","chosen":null,"rejected":"r"}""", "field 'chosen': is null")]
    [InlineData("""{"prompt":"p","chosen":[{"content":"x"}],"rejected":"r"}""", "field 'chosen[0].role': missing")]
    [InlineData("""{"prompt":"p","chosen":[{"role":"assistant","content":7}],"rejected":"r"}""", "field 'chosen[0].content': expected a string, found a number")]
    [InlineData("""{"prompt":"p","chosen":["x"],"rejected":"r"}""", "field 'chosen[0]': expected a message {role, content}, found a string")]
    [InlineData("""{"prompt":"p","chosen":[],"rejected":"r"}""", "field 'chosen': empty list of messages")]
    [InlineData("""{"prompt":"p","chosen":"c","rejected":"r","margin":"big"}""", "field 'margin': expected a number, found a string")]
    [InlineData("""{"prompt":"p","chosen":"c","rejected":"r","id":{"a":1}}""", "field 'id': expected a string or a number, found an object")]
    [InlineData("""["prompt","chosen"]""", "expected a JSON object, found a list")]
    [InlineData("""{"prompt": "p", "chosen": """, "invalid JSON, Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. (at byte 27)")]
    public void A_malformed_row_is_one_line_naming_file_line_and_field(string row, string expected)
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "pairs.jsonl", Good, "", row, Good);
        Assert.Equal($"{path}:3: {expected}", ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
    }

    [Fact]
    public void Skip_bad_rows_counts_each_skip_by_reason()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "pairs.jsonl",
            Good,
            """{"prompt":"p","chosen":"c"}""",
            "{not json",
            """{"prompt":"p","chosen":5,"rejected":"r"}""",
            """{"prompt":"q","chosen":"c"}""",
            """{"prompt":"p","chosen":[{"content":"x"}],"rejected":"r"}""",
            """{"prompt":"p","chosen":[{"role":"assistant","content":"x"},{"content":"y"}],"rejected":"r"}""",
            "[1,2]",
            Good);
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true });
        Assert.Equal(2, pairs.Count());
        var report = pairs.Report;
        Assert.Equal(9, report.RowsRead);
        Assert.Equal(2, report.Produced);
        Assert.Equal(new Dictionary<string, long>
        {
            ["field 'rejected': missing"] = 2,
            ["invalid JSON"] = 1,
            ["field 'chosen': expected a string or a list of messages"] = 1,
            ["field 'chosen[].role': missing"] = 2,
            ["expected a JSON object"] = 1,
        }, report.Skipped.ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.Equal(7, report.SkippedTotal);
        Assert.Equal($"{path} (pairwise): 9 rows -> 2 pairs; 7 rows skipped (expected a JSON object: 1, field 'chosen': expected a string or a list of messages: 1, " +
            "field 'chosen[].role': missing: 2, field 'rejected': missing: 2, invalid JSON: 1)", report.ToString());
        var json = report.ToJson();
        Assert.Equal(9, json["rows"]!.GetValue<long>());
        Assert.Equal(2, json["pairs"]!.GetValue<long>());
        Assert.Equal(2, json["skipped"]!["field 'rejected': missing"]!.GetValue<long>());
    }

    [Fact]
    public void A_parquet_row_error_names_the_row_group_and_row()
    {
        using var dir = new TempDir();
        var schema = new ParquetSchema(new DataField<string>("prompt"), new DataField<string>("chosen"), new DataField<string>("rejected"));
        var rows = Enumerable.Range(0, 5).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["prompt"] = $"p{i}", ["chosen"] = i == 3 ? null : $"c{i}", ["rejected"] = $"r{i}",
        }).ToList();
        string path = ParquetFile(dir, "pairs.parquet", schema, rows, rowGroupSize: 2);
        Assert.Equal($"{path}: row group 1, row 1: field 'chosen': is null", ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
        var skipping = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true });
        Assert.Equal(new[] { "p0", "p1", "p2", "p4" }, skipping.Select(p => p.Prompt[0].Content));
        Assert.Equal(new[] { $"{path}: row group 0, row 0", $"{path}: row group 0, row 1", $"{path}: row group 1, row 0", $"{path}: row group 2, row 0" },
            Origins(skipping));
        Assert.Equal(1, skipping.Report.Skipped["field 'chosen': is null"]);
        Assert.Equal(5, skipping.Report.RowsRead);
    }

    [Fact]
    public void A_file_that_claims_to_be_parquet_but_is_not_readable_is_a_user_error()
    {
        using var dir = new TempDir();
        string path = dir.File("broken.parquet");
        File.WriteAllBytes(path, "PAR1 then nothing useful"u8.ToArray());
        Assert.StartsWith($"{path}: not a readable Parquet file: ", ErrorOf(() => Dataset.Open(path)));
    }
}
