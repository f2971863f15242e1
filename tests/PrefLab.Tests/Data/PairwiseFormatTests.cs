using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Data.Writing;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class PairwiseFormatTests
{
    [Fact]
    public void Standard_conversational_and_implicit_prompt_rows_yield_these_exact_pairs()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "pairs.jsonl",
            """{"prompt":"What is 2+2?","chosen":"4","rejected":"5","id":"a1","category":"math"}""",
            """{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hello."}],"rejected":[{"role":"assistant","content":"Hello there, friend."}],"margin":1.5}""",
            """{"chosen":[{"role":"user","content":"Name a color"},{"role":"assistant","content":"Blue"}],"rejected":[{"role":"user","content":"Name a color"},{"role":"assistant","content":"Seven"}],"source":"w","subset":"colors"}""",
            "",
            """{"prompt":"Hi","chosen":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hey!"}],"rejected":[{"role":"user","content":"Hi"},{"role":"assistant","content":"What?"}],"score_chosen":8.0,"score_rejected":5.5,"prompt_id":"abc"}""",
            """{"prompt":"x","chosen":"same","rejected":"same"}""");
        var pairs = DatasetReader.ReadPairs(path);
        var list = pairs.ToList();

        Assert.Equal("pairwise", pairs.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"What is 2+2?"}],"chosen":[{"role":"assistant","content":"4"}],"rejected":[{"role":"assistant","content":"5"}],"id":"a1","category":"math"}""",
            """{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hello."}],"rejected":[{"role":"assistant","content":"Hello there, friend."}],"margin":1.5}""",
            """{"prompt":[{"role":"user","content":"Name a color"}],"chosen":[{"role":"assistant","content":"Blue"}],"rejected":[{"role":"assistant","content":"Seven"}],"source":"w","subset":"colors"}""",
            """{"prompt":[{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hey!"}],"rejected":[{"role":"assistant","content":"What?"}],"margin":2.5,"id":"abc"}""",
        }, Lines(list));
        Assert.Equal(new[] { $"{path}:1", $"{path}:2", $"{path}:3", $"{path}:5" }, Origins(list));
        Assert.Equal(5, pairs.Report.RowsRead);
        Assert.Equal(4, pairs.Report.Produced);
        Assert.Equal(1, pairs.Report.Dropped["chosen and rejected identical"]);
        Assert.Empty(pairs.Report.Skipped);
    }

    [Fact]
    public void Implicit_prompt_without_a_shared_prefix_or_a_completion_is_an_error_naming_the_field()
    {
        using var dir = new TempDir();
        string noShared = Jsonl(dir, "a.jsonl",
            """{"chosen":[{"role":"user","content":"A"},{"role":"assistant","content":"x"}],"rejected":[{"role":"user","content":"B"},{"role":"assistant","content":"y"}]}""");
        Assert.Equal($"{noShared}:1: field 'rejected': no shared prompt: chosen and rejected differ from their first message",
            ErrorOf(() => DatasetReader.ReadPairs(noShared).ToList()));

        string nothingAfter = Jsonl(dir, "b.jsonl",
            """{"chosen":[{"role":"user","content":"A"}],"rejected":[{"role":"user","content":"A"},{"role":"assistant","content":"y"}]}""");
        Assert.Equal($"{nothingAfter}:1: field 'chosen': nothing after the prompt it shares with rejected",
            ErrorOf(() => DatasetReader.ReadPairs(nothingAfter).ToList()));

        string stringsWithoutPrompt = Jsonl(dir, "c.jsonl", """{"chosen":"x","rejected":"y"}""");
        Assert.Equal($"{stringsWithoutPrompt}:1: field 'prompt': missing (it may be left out only when chosen and rejected are message lists)",
            ErrorOf(() => DatasetReader.ReadPairs(stringsWithoutPrompt, new ReadOptions { Format = "pairwise" }).ToList()));
    }

    [Fact]
    public void Pairs_compare_by_value_and_carry_their_conversations()
    {
        var a = new PreferencePair([Message.User("q")], [Message.Assistant("good")], [Message.Assistant("bad")]) { Category = "c", Margin = 1 };
        var b = new PreferencePair(new List<Message> { new("user", "q") }, new[] { new Message("assistant", "good") },
            new[] { new Message("assistant", "bad") }) { Category = "c", Margin = 1 };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Margin = 2 });
        Assert.NotEqual(a, b with { Rejected = [Message.Assistant("worse")] });
        Assert.Equal(new[] { Message.User("q"), Message.Assistant("good") }, a.ChosenConversation);
        Assert.Equal(new[] { Message.User("q"), Message.Assistant("bad") }, a.RejectedConversation);
    }

    [Fact]
    public void Converted_output_reads_back_as_the_same_pairs()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "hh.jsonl",
            """{"chosen":"\n\nHuman: Hi\n\nAssistant: Hello!","rejected":"\n\nHuman: Hi\n\nAssistant: Go away.","category":"chat","id":7}""",
            """{"chosen":"\n\nHuman: 2+2?\n\nAssistant: 4\n\nHuman: Sure?\n\nAssistant: Yes.","rejected":"\n\nHuman: 2+2?\n\nAssistant: 4\n\nHuman: Sure?\n\nAssistant: No.","source":"s"}""");
        string output = dir.File("out.jsonl");
        var report = DatasetExport.Convert(path, output);
        Assert.Equal(2, report.Produced);
        var original = DatasetReader.ReadPairs(path).Select(p => p with { Origin = null }).ToList();
        var reread = DatasetReader.ReadPairs(output);
        Assert.Equal("pairwise", reread.Dataset.Format.Name);
        Assert.Equal(original, reread.Select(p => p with { Origin = null }).ToList());
    }
}
