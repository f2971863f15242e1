using PrefLab.Data.Reading;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class HhFormatTests
{
    [Fact]
    public void Transcripts_split_into_prompt_and_final_assistant_turns()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "hh.jsonl",
            """{"chosen":"\n\nHuman: Hi\n\nAssistant: Hello!","rejected":"\n\nHuman: Hi\n\nAssistant: Go away.","category":"chat","id":7}""",
            """{"chosen":"\n\nHuman: 2+2?\n\nAssistant: 4\n\nHuman: Sure?\n\nAssistant: Yes.","rejected":"\n\nHuman: 2+2?\n\nAssistant: 4\n\nHuman: Sure?\n\nAssistant: No."}""",
            """{"chosen":"\n\nHuman:Hey\n\nAssistant:Yo","rejected":"\n\nHuman:Hey\n\nAssistant:"}""",
            """{"chosen":"Human: Start\n\nAssistant: ok","rejected":"Human: Start\n\nAssistant: no"}""");
        var pairs = DatasetReader.ReadPairs(path);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"Go away."}],"id":"7","category":"chat"}""",
            """{"prompt":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"},{"role":"user","content":"Sure?"}],"chosen":[{"role":"assistant","content":"Yes."}],"rejected":[{"role":"assistant","content":"No."}]}""",
            """{"prompt":[{"role":"user","content":"Hey"}],"chosen":[{"role":"assistant","content":"Yo"}],"rejected":[{"role":"assistant","content":""}]}""",
            """{"prompt":[{"role":"user","content":"Start"}],"chosen":[{"role":"assistant","content":"ok"}],"rejected":[{"role":"assistant","content":"no"}]}""",
        }, Lines(pairs));
        Assert.Equal("hh", pairs.Dataset.Format.Name);
        Assert.Equal(4, pairs.Report.Produced);
    }

    [Theory]
    [InlineData("""{"chosen":"\n\nHuman: A\n\nAssistant: x","rejected":"\n\nHuman: B\n\nAssistant: y"}""",
        "field 'rejected': the transcript differs from chosen before the final assistant turn")]
    [InlineData("""{"chosen":"\n\nHuman: A\n\nAssistant: x\n\nHuman: more","rejected":"\n\nHuman: A\n\nAssistant: y"}""",
        "field 'chosen': the transcript does not end with an assistant turn")]
    [InlineData("""{"chosen":"hello","rejected":"\n\nHuman: A\n\nAssistant: y"}""",
        "field 'chosen': expected a transcript of \"\\n\\nHuman: \" and \"\\n\\nAssistant: \" turns, found no Human turn")]
    [InlineData("""{"chosen":"\n\nAssistant: x","rejected":"\n\nAssistant: y"}""",
        "field 'chosen': no Human turn before the final assistant turn")]
    [InlineData("""{"chosen":"\n\nHuman: A\n\nAssistant: x","rejected":["not","a","string"]}""",
        "field 'rejected': expected a string, found a list")]
    public void Malformed_transcripts_are_errors_naming_file_line_and_field(string row, string expected)
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "hh.jsonl", """{"chosen":"\n\nHuman: ok\n\nAssistant: a","rejected":"\n\nHuman: ok\n\nAssistant: b"}""", row);
        Assert.Equal($"{path}:2: {expected}", ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
    }

    [Fact]
    public void With_skip_bad_rows_a_differing_prefix_is_counted_by_reason()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "hh.jsonl",
            """{"chosen":"\n\nHuman: A\n\nAssistant: x","rejected":"\n\nHuman: B\n\nAssistant: y"}""",
            """{"chosen":"\n\nHuman: A\n\nAssistant: x","rejected":"\n\nHuman: A\n\nAssistant: y"}""",
            """{"chosen":"\n\nHuman: C\n\nAssistant: x","rejected":"\n\nHuman: D\n\nAssistant: y"}""");
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true });
        Assert.Single(pairs.ToList());
        Assert.Equal(3, pairs.Report.RowsRead);
        Assert.Equal(2, pairs.Report.Skipped["field 'rejected': the transcript differs from chosen before the final assistant turn"]);
    }
}
