using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Tests.Text;
using PrefLab.Text.Chat;
using TorchSharp;
using Xunit;

namespace PrefLab.Tests.Data.Collation;

public class CollationTests
{
    static ChatTokenizer For(string folder, string format) =>
        new(TokenizerFixtures.Load(folder), ChatFormats.ByName(format));

    static IEnumerable<JsonNode> Goldens(string key) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TokenizerFixtures.Root, "goldens", "chat.json")))![key]!.AsArray()!
            .Select(n => n!)
            .Where(n => !n["add_generation_prompt"]!.GetValue<bool>() && n["messages"]!.AsArray()[^1]!["role"]!.GetValue<string>() == "assistant");

    /// <summary>Every chat format: SFT sequences equal the independent (transformers.js) render's ids and
    /// assistant mask, and two of them pad into the exact tensors.</summary>
    [Theory]
    [InlineData("tulu-world", "world", "tulu")]
    [InlineData("tulu-llama", "chat-tulu", "tulu")]
    [InlineData("chatml", "chat-chatml", "chatml")]
    [InlineData("llama3", "llama3-style", "llama3")]
    [InlineData("llama2", "chat-llama2", "llama2")]
    public void Sft_sequences_and_padded_tensors_match_the_goldens(string key, string folder, string format)
    {
        var chat = For(folder, format);
        var report = new CollationReport();
        var sequences = new List<TokenizedSequence>();
        foreach (var golden in Goldens(key))
        {
            var messages = golden["messages"]!.AsArray().Select(m => new Message(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            var sequence = chat.Sft(new SftExample(messages), 4096, TruncationPolicy.Drop, report)!;
            Assert.Equal(golden["ids"]!.AsArray().Select(i => i!.GetValue<int>()), sequence.Ids);
            Assert.Equal(golden["mask"]!.AsArray().Select(i => i!.GetValue<int>() == 1), sequence.LossMask);
            sequences.Add(sequence);
        }
        Assert.True(sequences.Count >= 2);
        var pair = sequences.Take(2).ToList();
        int pad = chat.PadId;
        using var scope = torch.NewDisposeScope();
        var batch = Collator.Pad(pair, pad);
        int length = pair.Max(s => s.Length);
        var expectedIds = pair.SelectMany(s => s.Ids.Select(i => (long)i).Concat(Enumerable.Repeat((long)pad, length - s.Length))).ToArray();
        var expectedAttention = pair.SelectMany(s => Enumerable.Repeat(1L, s.Length).Concat(Enumerable.Repeat(0L, length - s.Length))).ToArray();
        var expectedLoss = pair.SelectMany(s => s.LossMask.Select(m => m ? 1f : 0f).Concat(Enumerable.Repeat(0f, length - s.Length))).ToArray();
        Assert.Equal(new long[] { 2, length }, batch.InputIds.shape);
        Assert.Equal(expectedIds, batch.InputIds.data<long>().ToArray());
        Assert.Equal(expectedAttention, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(expectedLoss, batch.LossMask.data<float>().ToArray());
        Assert.Equal(torch.ScalarType.Int64, batch.InputIds.dtype);
    }

    [Fact]
    public void World_tulu_golden_by_hand()
    {
        // <|user|> what is the capital of france ? <|assistant|> paris . </s>: loss on "paris . </s>".
        var chat = For("world", "tulu");
        var seq = chat.Sft(new SftExample(new[] { Message.User("what is the capital of france ?"), Message.Assistant("paris .") }),
            64, TruncationPolicy.Drop, new CollationReport())!;
        Assert.Equal(new[] { 5, 11, 9, 7, 12, 10, 13, 22, 6, 14, 21, 3 }, seq.Ids);
        Assert.Equal(new[] { false, false, false, false, false, false, false, false, false, true, true, true }, seq.LossMask);
        Assert.Equal(0, chat.PadId);
        Assert.NotEqual(chat.Tokenizer.EosId, chat.PadId);

        using var scope = torch.NewDisposeScope();
        var left = Collator.PadPrompts(new[] { new[] { 5, 11, 6 }, new[] { 5, 6 } }, chat.PadId);
        Assert.Equal(new long[] { 5, 11, 6, 0, 5, 6 }, left.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 1, 1 }, left.AttentionMask.data<long>().ToArray());
        Assert.All(left.LossMask.data<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Truncation_policies_count_what_they_do()
    {
        var chat = For("world", "tulu");
        var example = new SftExample(new[] { Message.User("what is the capital of france ?"), Message.Assistant("paris .") });
        var report = new CollationReport();
        Assert.Null(chat.Sft(example, 10, TruncationPolicy.Drop, report));
        var cut = chat.Sft(example, 10, TruncationPolicy.Truncate, report)!;
        Assert.Equal(10, cut.Length);
        Assert.Equal(1, cut.LossTokens); // "paris" survives; ". </s>" are cut
        Assert.Null(chat.Sft(example, 9, TruncationPolicy.Truncate, report)); // only the prompt fits
        Assert.Equal(1, report.Kept);
        Assert.Equal(1, report.Truncated);
        Assert.Equal(1, report.Dropped["longer than --max-length"]);
        Assert.Equal(1, report.Dropped["completion fully truncated"]);
    }

    [Fact]
    public void Pairs_keep_the_prompt_whole_and_drop_what_cannot_fit()
    {
        var chat = For("world", "tulu");
        var pair = new PreferencePair(new[] { Message.User("what is the capital of france ?") },
            new[] { Message.Assistant("paris .") }, new[] { Message.Assistant("the capital of france is paris .") }) { Margin = 2 };
        var report = new CollationReport();
        var whole = chat.Pair(pair, 64, TruncationPolicy.Truncate, report)!;
        Assert.Equal(9, whole.PromptLength);
        Assert.Equal(whole.Chosen.Ids[..9], whole.Rejected.Ids[..9]);
        Assert.Equal(3, whole.Chosen.LossTokens);
        Assert.Equal(8, whole.Rejected.LossTokens);
        Assert.Equal(2, whole.Margin);

        var cut = chat.Pair(pair, 12, TruncationPolicy.Truncate, report)!;
        Assert.Equal(9, cut.PromptLength);
        Assert.Equal(12, cut.Rejected.Length);
        Assert.Equal(3, cut.Rejected.LossTokens);
        Assert.Null(chat.Pair(pair, 9, TruncationPolicy.Truncate, report));   // the prompt fills it
        Assert.Null(chat.Pair(pair, 12, TruncationPolicy.Drop, report));      // the RM rule: any truncation drops
        Assert.Equal(2, report.Kept);
        Assert.Equal(1, report.Truncated);
        Assert.Equal(1, report.Dropped["prompt fills --max-length"]);
        Assert.Equal(1, report.Dropped["longer than --max-length"]);

        using var scope = torch.NewDisposeScope();
        var batch = Collator.PadPairs(new[] { whole }, chat.PadId);
        Assert.Equal(new long[] { 2, 17 }, batch.InputIds.shape); // chosen row then rejected row
        Assert.Equal(12L, batch.AttentionMask[0].sum().item<long>());
    }

    [Fact]
    public void Pretraining_packs_texts_with_eos_into_full_blocks()
    {
        var tokenizer = TokenizerFixtures.Load("world");
        // "paris ." = [14, 21] then EOS 3; "france" = [13] then 3: 5 tokens -> one block of 4, one token dropped.
        var blocks = PretrainPacker.Pack(new[] { "paris .", "france" }, tokenizer, 4, out long dropped);
        Assert.Single(blocks);
        Assert.Equal(new[] { 14, 21, 3, 13 }, blocks[0].Ids);
        Assert.All(blocks[0].LossMask, Assert.True);
        Assert.Equal(1, dropped);
    }
}
