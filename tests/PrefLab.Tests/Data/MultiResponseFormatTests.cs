using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using Xunit;
using static PrefLab.Tests.Data.DataFiles;

namespace PrefLab.Tests.Data;

public class NectarFormatTests
{
    [Fact]
    public void Ranks_order_answers_and_transcript_prompts_become_messages()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "nectar.jsonl",
            """{"prompt":"\n\nHuman: Name a fruit\n\nAssistant:","answers":[{"answer":"Apple","model":"m1","rank":1},{"answer":"Rock","model":"m2","rank":3},{"answer":"Pear","model":"m3","rank":2}],"turns":1,"source":["sharegpt"]}""",
            """{"prompt":"\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant:","answers":[{"answer":"x","rank":2.0},{"answer":"y","rank":1.0}],"source":["lmsys","anthropic"]}""",
            """{"prompt":"Say hi","answers":[{"answer":"hi","rank":1},{"answer":"bye","rank":1}]}""");
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("best-worst") });
        Assert.Equal("nectar", pairs.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"Name a fruit"}],"chosen":[{"role":"assistant","content":"Apple"}],"rejected":[{"role":"assistant","content":"Rock"}],"margin":2,"source":"sharegpt"}""",
            """{"prompt":[{"role":"user","content":"A"},{"role":"assistant","content":"B"},{"role":"user","content":"C"}],"chosen":[{"role":"assistant","content":"y"}],"rejected":[{"role":"assistant","content":"x"}],"margin":1,"source":"lmsys,anthropic"}""",
        }, Lines(pairs));
        Assert.Equal(1, pairs.Report.TiesDropped);
        Assert.Equal("best-worst by rank", pairs.Report.Binarization);

        var all = DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("all-pairs") }).ToList();
        Assert.Equal(new[] { "Apple>Rock", "Apple>Pear", "Pear>Rock", "y>x" }, all.Select(p => $"{p.Chosen[0].Content}>{p.Rejected[0].Content}"));
        Assert.Equal(new double?[] { 2, 1, 1, 1 }, all.Select(p => p.Margin));
    }

    [Fact]
    public void Mean_aspects_does_not_apply_to_ranked_answers()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "nectar.jsonl", """{"prompt":"Q","answers":[{"answer":"a","rank":1}]}""");
        Assert.Equal("format nectar has no score 'mean-aspects'; its scores: rank",
            ErrorOf(() => Dataset.Open(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("mean-aspects") })));
    }

    [Fact]
    public void A_missing_rank_names_the_answer()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "nectar.jsonl", """{"prompt":"Q","answers":[{"answer":"a","rank":1},{"answer":"b"}]}""");
        Assert.Equal($"{path}:1: field 'answers[1].rank': missing", ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
    }
}

public class HelpSteerFormatTests
{
    static string Row(string prompt, string response, int helpfulness, int correctness, int coherence) =>
        $$"""{"prompt":"{{prompt}}","response":"{{response}}","helpfulness":{{helpfulness}},"correctness":{{correctness}},"coherence":{{coherence}},"complexity":1,"verbosity":2}""";

    [Fact]
    public void Consecutive_rows_of_a_prompt_form_a_group_binarized_by_helpfulness()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "helpsteer.jsonl",
            Row("P1", "r1", 3, 3, 4), Row("P1", "r2", 1, 4, 4), Row("P1", "r0", 2, 0, 0),
            Row("P2", "r3", 2, 1, 3), Row("P2", "r4", 2, 2, 2),
            Row("P1", "r5", 4, 4, 4));
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("best-worst") });
        Assert.Equal("helpsteer", pairs.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"P1"}],"chosen":[{"role":"assistant","content":"r1"}],"rejected":[{"role":"assistant","content":"r2"}],"margin":2}""",
        }, Lines(pairs));
        Assert.Equal(new[] { $"{path}:1" }, Origins(pairs));
        Assert.Equal(6, pairs.Report.RowsRead);
        Assert.Equal(1, pairs.Report.TiesDropped);
        Assert.Equal(1, pairs.Report.Dropped["fewer than two scored responses"]);
        Assert.Equal(1, pairs.Report.Notes["helpsteer: a prompt reappears after other prompts (grouped separately)"]);
        Assert.Equal("best-worst by helpfulness", pairs.Report.Binarization);
    }

    [Fact]
    public void Mean_score_averages_helpfulness_correctness_and_coherence()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "helpsteer.jsonl", Row("P1", "r1", 3, 3, 4), Row("P1", "r2", 1, 4, 4), Row("P1", "r0", 2, 0, 0));
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("all-pairs", "mean") }).ToList();
        Assert.Equal(new[] { "r1>r2", "r1>r0", "r2>r0" }, pairs.Select(p => $"{p.Chosen[0].Content}>{p.Rejected[0].Content}"));
        Assert.Equal(10.0 / 3 - 3, pairs[0].Margin!.Value, 12);
        Assert.Equal(10.0 / 3 - 2.0 / 3, pairs[1].Margin!.Value, 12);
        Assert.Equal(3 - 2.0 / 3, pairs[2].Margin!.Value, 12);

        var byVerbosity = DatasetReader.ReadPairs(path, new ReadOptions { Binarize = BinarizeOptions.FromStrategy("all-pairs", "verbosity") });
        Assert.Empty(byVerbosity.ToList());
        Assert.Equal(3, byVerbosity.Report.TiesDropped);
    }

    [Fact]
    public void A_bad_row_inside_a_group_is_skipped_and_the_group_goes_on()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "helpsteer.jsonl",
            Row("P1", "r1", 3, 3, 4), """{"prompt":"P1","response":"bad","helpfulness":"high"}""", Row("P1", "r2", 1, 4, 4));
        Assert.Equal($"{path}:2: field 'helpfulness': expected a number, found a string",
            ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
        var pairs = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true, Binarize = BinarizeOptions.FromStrategy("best-worst") });
        Assert.Equal(new[] { "r1>r2" }, pairs.Select(p => $"{p.Chosen[0].Content}>{p.Rejected[0].Content}"));
        Assert.Equal(1, pairs.Report.Skipped["field 'helpfulness': expected a number"]);
    }
}

public class ArenaFormatTests
{
    const string OneTurn = """{"question_id":"q1","model_a":"m1","model_b":"m2","winner":"model_a","conversation_a":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"conversation_b":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Sup"}],"category":"chat"}""";
    const string TwoTurns = """{"question_id":"q2","winner":"model_b","conversation_a":[{"role":"user","content":"Hi"},{"role":"assistant","content":"A1"},{"role":"user","content":"More"},{"role":"assistant","content":"A2"}],"conversation_b":[{"role":"user","content":"Hi"},{"role":"assistant","content":"B1"},{"role":"user","content":"More"},{"role":"assistant","content":"B2"}]}""";
    const string Tie = """{"question_id":"q3","winner":"tie","conversation_a":[{"role":"user","content":"Hi"},{"role":"assistant","content":"x"}],"conversation_b":[{"role":"user","content":"Hi"},{"role":"assistant","content":"y"}]}""";
    const string BothBad = """{"question_id":"q4","winner":"tie (bothbad)","conversation_a":[{"role":"user","content":"Hi"},{"role":"assistant","content":"x"}],"conversation_b":[{"role":"user","content":"Hi"},{"role":"assistant","content":"y"}]}""";

    static readonly string[] Expected =
    [
        """{"prompt":[{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"Hello"}],"rejected":[{"role":"assistant","content":"Sup"}],"id":"q1","category":"chat"}""",
        """{"prompt":[{"role":"user","content":"Hi"}],"chosen":[{"role":"assistant","content":"B1"},{"role":"user","content":"More"},{"role":"assistant","content":"B2"}],"rejected":[{"role":"assistant","content":"A1"},{"role":"user","content":"More"},{"role":"assistant","content":"A2"}],"id":"q2"}""",
    ];

    [Fact]
    public void Winners_choose_the_side_and_ties_are_dropped_and_counted()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "arena.jsonl", OneTurn, TwoTurns, Tie, BothBad);
        var pairs = DatasetReader.ReadPairs(path);
        Assert.Equal("arena", pairs.Dataset.Format.Name);
        Assert.Equal(Expected, Lines(pairs));
        Assert.Equal(2, pairs.Report.TiesDropped);
        Assert.Equal(4, pairs.Report.RowsRead);
    }

    [Fact]
    public void A_bad_winner_value_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "arena.jsonl", OneTurn, OneTurn.Replace("\"winner\":\"model_a\"", "\"winner\":\"model_c\""));
        Assert.Equal($"{path}:2: field 'winner': expected model_a, model_b, tie or tie (bothbad), found 'model_c'",
            ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
        var skipping = DatasetReader.ReadPairs(path, new ReadOptions { SkipBadRows = true });
        Assert.Single(skipping.ToList());
        Assert.Equal(1, skipping.Report.Skipped["field 'winner': expected model_a, model_b, tie or tie (bothbad)"]);
    }

    [Fact]
    public void Parquet_message_lists_as_lists_of_structs_yield_the_same_pairs()
    {
        using var dir = new TempDir();
        var schema = new Parquet.Schema.ParquetSchema(
            new Parquet.Schema.DataField<string>("question_id"), new Parquet.Schema.DataField<string>("winner"),
            MessageListField("conversation_a"), MessageListField("conversation_b"), new Parquet.Schema.DataField<string>("category"));
        var rows = new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?> { ["question_id"] = "q1", ["winner"] = "model_a", ["category"] = "chat",
                ["conversation_a"] = MessageRows(("user", "Hi"), ("assistant", "Hello")), ["conversation_b"] = MessageRows(("user", "Hi"), ("assistant", "Sup")) },
            new Dictionary<string, object?> { ["question_id"] = "q2", ["winner"] = "model_b", ["category"] = null,
                ["conversation_a"] = MessageRows(("user", "Hi"), ("assistant", "A1"), ("user", "More"), ("assistant", "A2")),
                ["conversation_b"] = MessageRows(("user", "Hi"), ("assistant", "B1"), ("user", "More"), ("assistant", "B2")) },
            new Dictionary<string, object?> { ["question_id"] = "q3", ["winner"] = "tie", ["category"] = null,
                ["conversation_a"] = MessageRows(("user", "Hi"), ("assistant", "x")), ["conversation_b"] = MessageRows(("user", "Hi"), ("assistant", "y")) },
        };
        string path = ParquetFile(dir, "arena.parquet", schema, rows, rowGroupSize: 2);
        var pairs = DatasetReader.ReadPairs(path);
        Assert.Equal("arena", pairs.Dataset.Format.Name);
        Assert.Equal(Expected, Lines(pairs));
        Assert.Equal(new[] { $"{path}: row group 0, row 0", $"{path}: row group 0, row 1" }, Origins(pairs));
        Assert.Equal(1, pairs.Report.TiesDropped);
        Assert.Equal(3, pairs.Report.RowsRead);
    }
}

public class ShpFormatTests
{
    [Fact]
    public void Labels_pick_the_preferred_comment_and_scores_give_the_margin()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "shp.jsonl",
            """{"post_id":"p1","domain":"askscience_train","history":"Why is the sky blue?","human_ref_A":"Rayleigh scattering.","human_ref_B":"Because.","labels":1,"score_A":52,"score_B":3}""",
            """{"post_id":"p2","domain":"askscience_train","history":"Why?","human_ref_A":"No idea.","human_ref_B":"Physics.","labels":0,"score_A":10,"score_B":25}""",
            """{"post_id":"p3","history":"Same?","human_ref_A":"Yes.","human_ref_B":"Yes.","labels":0}""");
        var pairs = DatasetReader.ReadPairs(path);
        Assert.Equal("shp", pairs.Dataset.Format.Name);
        Assert.Equal(new[]
        {
            """{"prompt":[{"role":"user","content":"Why is the sky blue?"}],"chosen":[{"role":"assistant","content":"Rayleigh scattering."}],"rejected":[{"role":"assistant","content":"Because."}],"margin":49,"id":"p1","subset":"askscience_train"}""",
            """{"prompt":[{"role":"user","content":"Why?"}],"chosen":[{"role":"assistant","content":"Physics."}],"rejected":[{"role":"assistant","content":"No idea."}],"margin":15,"id":"p2","subset":"askscience_train"}""",
        }, Lines(pairs));
        Assert.Equal(1, pairs.Report.Dropped["chosen and rejected identical"]);
    }

    [Fact]
    public void A_label_other_than_0_or_1_is_an_error()
    {
        using var dir = new TempDir();
        string path = Jsonl(dir, "shp.jsonl", """{"history":"Q","human_ref_A":"a","human_ref_B":"b","labels":2}""");
        Assert.Equal($"{path}:1: field 'labels': expected 1 (A preferred) or 0 (B preferred), found 2",
            ErrorOf(() => DatasetReader.ReadPairs(path).ToList()));
    }
}
