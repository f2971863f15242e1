using PrefLab.Data.Reading;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

/// <summary>TRL's unpaired preference format (prompt, completion, label): KTO's data, and pairs split into it.</summary>
public class UnpairedFormatTests
{
    [Fact]
    public void Strings_and_message_lists_are_read_and_detected_over_sft()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "kto.jsonl",
            """{"prompt":"Hi","completion":"Hello!","label":true,"id":3}""",
            """{"prompt":[{"role":"user","content":"2+2?"}],"completion":[{"role":"assistant","content":"5"}],"label":false}""",
            """{"prompt":[{"role":"user","content":"Hey"}],"completion":[{"role":"user","content":"Hey"},{"role":"assistant","content":"Yo"}],"label":true}""");
        var examples = DatasetReader.ReadUnpaired(path);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"Hi"}],"completion":[{"role":"assistant","content":"Hello!"}],"label":true,"id":"3"}""",
            """{"prompt":[{"role":"user","content":"2+2?"}],"completion":[{"role":"assistant","content":"5"}],"label":false}""",
            """{"prompt":[{"role":"user","content":"Hey"}],"completion":[{"role":"assistant","content":"Yo"}],"label":true}""",
        }, Lines(examples));
        Assert.Equal("unpaired", examples.Dataset.Format.Name);
        Assert.Equal(3, examples.Report.Produced);
        Assert.Equal(3, examples.Report.ToJson()["examples"]!.GetValue<long>());
        // Without the label the same fields are SFT's.
        string sft = Jsonl(dir, "sft.jsonl", """{"prompt":"Hi","completion":"Hello!"}""");
        Assert.Equal("sft", DatasetReader.Open(sft).Format.Name);
    }

    [Theory]
    [InlineData("""{"prompt":"Hi","completion":"x","label":"yes"}""", "field 'label': expected true (desirable) or false (undesirable), found a string")]
    [InlineData("""{"prompt":"Hi","completion":"x","label":1}""", "field 'label': expected true (desirable) or false (undesirable), found a number")]
    [InlineData("""{"prompt":"Hi","completion":"x","label":null}""", "field 'label': is null")]
    [InlineData("""{"prompt":"Hi","completion":5,"label":true}""", "field 'completion': expected a string or a list of messages, found a number")]
    [InlineData("""{"prompt":"Hi","completion":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}],"label":true}""", "field 'completion': must end with an assistant turn, found a 'user' turn last")]
    [InlineData("""{"prompt":"Hi","completion":[],"label":true}""", "field 'completion': empty list of messages")]
    public void Malformed_rows_are_errors_naming_file_line_and_field(string row, string expected)
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "kto.jsonl", """{"prompt":"ok","completion":"fine","label":true}""", row);
        Assert.Equal($"{path}:2: {expected}", ErrorOf(() => DatasetReader.ReadUnpaired(path).ToList()));
    }

    [Fact]
    public void With_skip_bad_rows_a_bad_label_is_counted_by_reason()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "kto.jsonl",
            """{"prompt":"a","completion":"x","label":true}""",
            """{"prompt":"b","completion":"y","label":"no"}""",
            """{"prompt":"c","completion":"z","label":false}""");
        var examples = DatasetReader.ReadUnpaired(path, new ReadOptions { SkipBadRows = true, Format = "unpaired" });
        Assert.Equal(2, examples.ToList().Count);
        Assert.Equal(1, examples.Report.Skipped["field 'label': expected true (desirable) or false (undesirable)"]);
    }

    [Fact]
    public void Pairs_split_into_a_desirable_chosen_and_an_undesirable_rejected()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "pairs.jsonl",
            """{"prompt":"Q1","chosen":"good","rejected":"bad","category":"c1"}""",
            """{"prompt":"Q2","chosen":"same","rejected":"same"}""",
            """{"prompt":"Q3","chosen":"yes","rejected":"no"}""");
        var examples = DatasetReader.ReadUnpaired(path);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"Q1"}],"completion":[{"role":"assistant","content":"good"}],"label":true,"category":"c1"}""",
            """{"prompt":[{"role":"user","content":"Q1"}],"completion":[{"role":"assistant","content":"bad"}],"label":false,"category":"c1"}""",
            """{"prompt":[{"role":"user","content":"Q3"}],"completion":[{"role":"assistant","content":"yes"}],"label":true}""",
            """{"prompt":[{"role":"user","content":"Q3"}],"completion":[{"role":"assistant","content":"no"}],"label":false}""",
        }, Lines(examples));
        Assert.Equal("pairwise", examples.Dataset.Format.Name);
        Assert.Equal(4, examples.Report.Produced);
        Assert.Equal(1, examples.Report.Dropped["chosen and rejected identical"]);
        // SFT data is not preference data.
        string sft = Jsonl(dir, "sft.jsonl", """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}""");
        Assert.Contains("not preference data", ErrorOf(() => DatasetReader.ReadUnpaired(sft)));
    }
}
