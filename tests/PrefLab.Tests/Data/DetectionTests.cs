using PrefLab.Data.Reading;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class DetectionTests
{
    [Theory]
    [InlineData("""{"prompt":"p","chosen":"c","rejected":"r"}""", "pairwise")]
    [InlineData("""{"chosen":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"rejected":[{"role":"user","content":"q"},{"role":"assistant","content":"b"}]}""", "pairwise")]
    [InlineData("""{"prompt":"p","prompt_id":"x","chosen":[{"role":"user","content":"p"},{"role":"assistant","content":"a"}],"rejected":[{"role":"user","content":"p"},{"role":"assistant","content":"b"}],"messages":[{"role":"user","content":"p"},{"role":"assistant","content":"a"}],"score_chosen":8,"score_rejected":4}""", "pairwise")]
    [InlineData("""{"chosen":"\n\nHuman: q\n\nAssistant: a","rejected":"\n\nHuman: q\n\nAssistant: b"}""", "hh")]
    [InlineData("""{"instruction":"i","completions":[],"source":"s","models":[]}""", "ultrafeedback")]
    [InlineData("""{"prompt":"p","answers":[],"turns":1,"num_responses":7}""", "nectar")]
    [InlineData("""{"prompt":"p","response":"r","helpfulness":3,"correctness":3}""", "helpsteer")]
    [InlineData("""{"conversation_a":[],"conversation_b":[],"winner":"tie","model_a":"x"}""", "arena")]
    [InlineData("""{"history":"h","human_ref_A":"a","human_ref_B":"b","labels":1}""", "shp")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""", "sft")]
    [InlineData("""{"prompt":"p","completion":"c"}""", "sft")]
    [InlineData("""{"text":"t"}""", "text")]
    [InlineData("""{"prompt":"p","id":3}""", "prompts")]
    [InlineData("""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}""", "prompts")]
    public void The_first_rows_fields_tell_the_format(string firstRow, string expected)
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "data.jsonl", firstRow);
        Assert.Equal(expected, Dataset.Open(path).Format.Name);
    }

    [Fact]
    public void Unknown_fields_are_an_error_listing_the_fields_seen_and_the_formats_known()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "data.jsonl", """{"foo":1,"bar":2}""");
        Assert.Equal($"{path}: cannot tell the format from the fields of the first row (foo, bar); known formats: " +
            "pairwise (prompt+chosen+rejected | chosen+rejected), hh (chosen+rejected), ultrafeedback (instruction+completions), " +
            "nectar (prompt+answers), helpsteer (prompt+response+helpfulness), arena (conversation_a+conversation_b+winner), " +
            "shp (history+human_ref_A+human_ref_B), unpaired (prompt+completion+label), sft (messages | prompt+completion), text (text), prompts (prompt | messages); " +
            "name one with --format", ErrorOf(() => Dataset.Open(path)));
    }

    [Fact]
    public void Fields_that_fit_two_formats_are_an_error_naming_both()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "data.jsonl", """{"prompt":"p","answers":[],"response":"r","helpfulness":3}""");
        Assert.Equal($"{path}: the fields of the first row (prompt, answers, response, helpfulness) fit more than one format: " +
            "nectar (prompt+answers), helpsteer (prompt+response+helpfulness); name one with --format", ErrorOf(() => Dataset.Open(path)));
        Assert.Equal("nectar", Dataset.Open(path, new ReadOptions { Format = "nectar" }).Format.Name);
    }

    [Fact]
    public void A_named_format_wins_and_an_unknown_name_is_refused()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "data.jsonl", """{"prompt":"p","chosen":"c","rejected":"r"}""");
        Assert.Equal("prompts", Dataset.Open(path, new ReadOptions { Format = "PROMPTS" }).Format.Name);
        Assert.Equal("option --format: unknown format 'json'; known: pairwise, hh, ultrafeedback, nectar, helpsteer, arena, shp, unpaired, sft, text, prompts",
            ErrorOf(() => Dataset.Open(path, new ReadOptions { Format = "json" })));
    }

    [Fact]
    public void Empty_and_missing_files_and_an_invalid_first_row_are_errors()
    {
        using var dir = new TempDir();
        string empty = Jsonl(dir, "empty.jsonl", "");
        Assert.Equal($"{empty}: no rows to tell the format from; name it with --format", ErrorOf(() => Dataset.Open(empty)));
        Assert.Equal($"{dir.File("nope.jsonl")}: file not found", ErrorOf(() => Dataset.Open(dir.File("nope.jsonl"))));
        string array = Jsonl(dir, "array.json", """[{"prompt":"p"}]""");
        Assert.Equal($"{array}:1: expected a JSON object, found a list (PrefLab reads JSON Lines: one object a line)", ErrorOf(() => Dataset.Open(array)));
        // With skip-bad-rows the first readable row decides, and the pass counts the bad one.
        string badFirst = Jsonl(dir, "bad.jsonl", "{oops", """{"prompt":"p"}""");
        var prompts = DatasetReader.ReadPrompts(badFirst, new ReadOptions { SkipBadRows = true });
        Assert.Single(prompts.ToList());
        Assert.Equal(1, prompts.Report.Skipped["invalid JSON"]);
    }

    [Fact]
    public void Parquet_detection_uses_the_schemas_columns()
    {
        using var dir = new TempDir();
        var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<string>("prompt"),
            new Parquet.Schema.DataField<string>("chosen"), new Parquet.Schema.DataField<string>("rejected"));
        string path = ParquetFile(dir, "p.parquet", schema,
            [new Dictionary<string, object?> { ["prompt"] = "p", ["chosen"] = "c", ["rejected"] = "r" }]);
        var dataset = Dataset.Open(path);
        Assert.Equal("pairwise", dataset.Format.Name);
        Assert.Equal("parquet", dataset.Container);
    }
}
