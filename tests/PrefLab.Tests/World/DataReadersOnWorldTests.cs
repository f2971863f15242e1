using PrefLab.Data.Reading;
using Xunit;

namespace PrefLab.Tests.World;

/// <summary>Every file the World emits is read by the data layer's real-format readers, detected as the
/// format it claims, with nothing skipped, and keeps each row's category.</summary>
[Collection("SmallWorld")]
public class DataReadersOnWorldTests(SmallWorldFixture world)
{
    [Theory]
    [InlineData("hh")]
    [InlineData("shp")]
    [InlineData("ultrafeedback")]
    [InlineData("nectar")]
    [InlineData("helpsteer")]
    [InlineData("arena")]
    [InlineData("pairwise")]
    public void Preference_files_read_as_their_format(string name)
    {
        var stream = DatasetReader.ReadPairs(world.PathOf($"preferences/{name}.jsonl"));
        var pairs = stream.ToList();
        Assert.Equal(name, stream.Report.Format);
        Assert.Equal(0, stream.Report.SkippedTotal);
        Assert.True(pairs.Count > 50, $"{name}: only {pairs.Count} pairs");
        Assert.Equal(world.Rows($"preferences/{name}.jsonl").Count, stream.Report.RowsRead);
        Assert.All(pairs, p =>
        {
            Assert.False(string.IsNullOrEmpty(p.Category));
            Assert.Equal("user", p.Prompt[^1].Role);
            Assert.Equal("assistant", Assert.Single(p.Chosen).Role);
            Assert.Equal("assistant", Assert.Single(p.Rejected).Role);
            // The prompt is a prompt the gold judge knows: data read back can be judged.
            Assert.True(world.Instance.Judge.Knows(p.Prompt[^1].Content), p.Prompt[^1].Content);
        });
    }

    [Fact]
    public void Sft_pretrain_and_prompt_files_read_with_nothing_skipped()
    {
        var sft = DatasetReader.ReadSft(world.PathOf("sft.jsonl"));
        Assert.Equal(world.Rows("sft.jsonl").Count, sft.Count());
        Assert.Equal(0, sft.Report.SkippedTotal);

        var text = DatasetReader.ReadText(world.PathOf("pretrain.jsonl"));
        Assert.Equal(world.Rows("pretrain.jsonl").Count, text.Count());

        foreach (string pool in new[] { "mixed", "reasoning", "safety" })
        {
            var prompts = DatasetReader.ReadPrompts(world.PathOf($"prompts/{pool}.jsonl")).ToList();
            Assert.Equal(world.Rows($"prompts/{pool}.jsonl").Count, prompts.Count);
            Assert.All(prompts, p => Assert.True(world.Instance.Judge.Knows(p.Messages[^1].Content)));
        }
    }
}

/// <summary>The World's tokenizer, loaded by the real tokenizer, encodes every emitted text without an unknown
/// token, and the Tulu chat format is recognised from its tokenizer_config.json.</summary>
[Collection("SmallWorld")]
public class WorldTokenizerTests(SmallWorldFixture world)
{
    [Fact]
    public void Every_emitted_text_encodes_without_unknown_tokens_and_decodes_back()
    {
        var tokenizer = PrefLab.Text.TokenizerLoader.Load(world.PathOf("tokenizer"));
        int unk = tokenizer.UnkId!.Value;
        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal(3, tokenizer.EosId);
        var texts = DatasetReader.ReadText(world.PathOf("pretrain.jsonl")).Select(t => t.Text)
            .Concat(DatasetReader.ReadSft(world.PathOf("sft.jsonl")).SelectMany(e => e.Messages.Select(m => m.Content)))
            .Concat(new[] { "hh", "shp", "ultrafeedback", "nectar", "helpsteer", "arena", "pairwise" }
                .SelectMany(n => DatasetReader.ReadPairs(world.PathOf($"preferences/{n}.jsonl")))
                .SelectMany(p => p.Prompt.Concat(p.Chosen).Concat(p.Rejected).Select(m => m.Content)))
            .ToList();
        Assert.True(texts.Count > 1000);
        foreach (string text in texts)
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            Assert.False(ids.Contains(unk), $"unknown token in: {text}");
            Assert.Equal(text, tokenizer.Decode(ids));
        }
        var format = PrefLab.Text.Chat.ChatFormats.Resolve(tokenizer, null);
        Assert.Equal("tulu", format.Name);
        var example = DatasetReader.ReadSft(world.PathOf("sft.jsonl")).First();
        var rendered = format.Render(tokenizer, example.Messages.Select(m => new PrefLab.Text.ChatMessage(m.Role, m.Content)).ToList());
        Assert.Equal(tokenizer.TokenToId("<|user|>"), rendered.Ids[0]);
        Assert.DoesNotContain(unk, rendered.Ids);
        Assert.Equal(3, rendered.Ids[^1]); // ends with the EOS the model must learn to emit
    }
}
