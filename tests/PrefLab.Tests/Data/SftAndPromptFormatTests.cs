using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class SftAndPromptFormatTests
{
    [Fact]
    public void Sft_rows_of_messages_or_prompt_and_completion_become_conversations()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "sft.jsonl",
            """{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"category":"chat","id":"e1"}""",
            """{"prompt":"2+2?","completion":"4"}""",
            """{"prompt":[{"role":"user","content":"Q"}],"completion":[{"role":"assistant","content":"A"}]}""");
        var examples = DatasetReader.ReadSft(path);
        Assert.Equal("sft", examples.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"id":"e1","category":"chat"}""",
            """{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}""",
            """{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}""",
        }, Lines(examples));
        Assert.Equal(3, examples.Report.Produced);
    }

    [Fact]
    public void Sft_conversation_without_an_assistant_turn_is_malformed()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "sft.jsonl",
            """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}""",
            """{"messages":[{"role":"user","content":"Hi"},{"role":"system","content":"x"}]}""");
        Assert.Equal($"{path}:2: field 'messages': no assistant turn to learn from", ErrorOf(() => DatasetReader.ReadSft(path).ToList()));
    }

    [Fact]
    public void Text_rows_are_pretraining_records()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "pretrain.jsonl", """{"text":"the cat sat"}""", """{"text":"on the mat","source":"w"}""");
        var texts = DatasetReader.ReadText(path);
        Assert.Equal(new[] { """{"text":"the cat sat"}""", """{"text":"on the mat","source":"w"}""" }, Lines(texts));
        Assert.Equal("text", texts.Dataset.Format.Name);
        Assert.Equal($"{path}: pretraining text (format text) has no prompts", ErrorOf(() => DatasetReader.ReadPrompts(path)));
        Assert.Equal($"{path}: format text holds texts, not pairs", ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
    }

    [Fact]
    public void Prompt_rows_keep_their_text_or_messages_up_to_the_last_user_turn()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "prompts.jsonl",
            """{"prompt":"Hi","category":"chat"}""",
            """{"messages":[{"role":"user","content":"A"},{"role":"assistant","content":"B"},{"role":"user","content":"C"}]}""",
            """{"prompt":[{"role":"user","content":"Q"},{"role":"assistant","content":"stale answer"}]}""",
            """{"prompt":"Hi","category":"again"}""");
        var prompts = DatasetReader.ReadPrompts(path);
        Assert.Equal("prompts", prompts.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"prompt":"Hi","category":"chat"}""",
            """{"messages":[{"role":"user","content":"A"},{"role":"assistant","content":"B"},{"role":"user","content":"C"}]}""",
            """{"prompt":"Q"}""",
            """{"prompt":"Hi","category":"again"}""",
        }, Lines(prompts));
        var distinct = DatasetReader.ReadPrompts(path, distinct: true);
        Assert.Equal(3, distinct.Count());
        Assert.Equal(1, distinct.Report.Dropped["duplicate prompt"]);
    }

    [Fact]
    public void Prompts_come_from_pairs_and_from_sft_conversations()
    {
        using var dir = new TempDir();
        string pairs = Jsonl(dir, "pairs.jsonl",
            """{"prompt":"P","chosen":"a","rejected":"b","id":"1","category":"c"}""",
            """{"prompt":"P","chosen":"c","rejected":"d"}""");
        var fromPairs = DatasetReader.ReadPrompts(pairs, distinct: true);
        Assert.Equal(new[] { """{"prompt":"P","id":"1","category":"c"}""" }, Lines(fromPairs));
        Assert.Equal(new[] { $"{pairs}:1" }, Origins(fromPairs));

        string sft = Jsonl(dir, "sft.jsonl",
            """{"messages":[{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},{"role":"user","content":"U2"},{"role":"assistant","content":"A2"}]}""",
            """{"messages":[{"role":"system","content":"S"},{"role":"assistant","content":"only"}]}""");
        var fromSft = DatasetReader.ReadPrompts(sft);
        Assert.Equal(new[] { """{"messages":[{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},{"role":"user","content":"U2"}]}""" }, Lines(fromSft));
        Assert.Equal(1, fromSft.Report.Dropped["no user turn"]);
    }

    [Fact]
    public void Every_preference_row_gives_its_prompt_even_when_it_makes_no_pair()
    {
        using var dir = new TempDir();
        string uf = Jsonl(dir, "uf.jsonl",
            """{"instruction":"tied","completions":[{"response":"x","overall_score":5},{"response":"y","overall_score":5}]}""",
            """{"instruction":"single","completions":[{"response":"x","overall_score":5}]}""",
            """{"instruction":"fine","completions":[{"response":"x","overall_score":5},{"response":"y","overall_score":1}]}""");
        var options = new ReadOptions { Binarize = BinarizeOptions.FromStrategy("overall") };
        Assert.Single(DatasetReader.ReadPairs(uf, options).ToList());
        var prompts = DatasetReader.ReadPrompts(uf, options);
        Assert.Equal(new[] { "tied", "single", "fine" }, prompts.Select(p => p.SingleUserText));
        Assert.Equal(0, prompts.Report.TiesDropped);
        Assert.Null(prompts.Report.Binarization);

        string arena = Jsonl(dir, "arena.jsonl",
            """{"winner":"tie","conversation_a":[{"role":"user","content":"Hi"},{"role":"assistant","content":"x"}],"conversation_b":[{"role":"user","content":"Hi"},{"role":"assistant","content":"y"}]}""");
        Assert.Equal(new[] { """{"prompt":"Hi"}""" }, Lines(DatasetReader.ReadPrompts(arena)));

        string pairwise = Jsonl(dir, "p.jsonl", """{"prompt":"same","chosen":"a","rejected":"a"}""");
        Assert.Equal(new[] { """{"prompt":"same"}""" }, Lines(DatasetReader.ReadPrompts(pairwise)));
    }
}
