using PrefLab.Generation;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;

namespace PrefLab.Tests.Generation;

/// <summary>Per-sequence stopping: at any of several EOS ids (other rows go on), at stop strings (text cut, the
/// stop named), never at EOS before min_new_tokens, at max_new_tokens. Expectations come from a run without
/// stopping: with the same seed and index, a sequence draws the same tokens until it stops.</summary>
public class StoppingTests : SingleThreadedTests
{
    const int NewTokens = 12;
    static GenerationOptions Options => new() { Temperature = 1.0, MaxNewTokens = NewTokens, Seed = 21 };

    /// <summary>The first index at or after <paramref name="from"/> whose token does not occur before it.</summary>
    static int FirstNew(int[] tokens, int from)
    {
        for (int i = from; i < tokens.Length; i++)
            if (Array.IndexOf(tokens, tokens[i]) == i) return i;
        throw new InvalidOperationException("no new token in the fixture's sequence");
    }

    static GenerationResult Free(TextGenerator generator) => generator.Generate(Prompts, Options);

    /// <summary>The free run's tokens cut after the first of <paramref name="eos"/>, if any.</summary>
    static (int[] Tokens, FinishReason Reason) CutAtEos(int[] free, int[] eos)
    {
        int at = Array.FindIndex(free, eos.Contains);
        return at < 0 ? (free, FinishReason.Length) : (free[..(at + 1)], FinishReason.Eos);
    }

    [Fact]
    public void Each_sequence_stops_at_its_first_eos_while_the_others_continue()
    {
        using var model = Model();
        var free = Free(new TextGenerator(model, Pad, Array.Empty<int>(), Tokenizer));
        // Two EOS ids: the first new token row 0 draws from step 3 on, and one row 1 draws from step 6 on.
        int[] eos = { free[0].TokenIds[FirstNew(free[0].TokenIds, 3)], free[1].TokenIds[FirstNew(free[1].TokenIds, 6)] };
        var stopped = new TextGenerator(model, Pad, eos, Tokenizer).Generate(Prompts, Options);
        int ended = 0, lengths = 0;
        for (int i = 0; i < Prompts.Length; i++)
        {
            var (tokens, reason) = CutAtEos(free[i].TokenIds, eos);
            Assert.Equal(tokens, stopped[i].TokenIds);
            Assert.Equal(reason, stopped[i].FinishReason);
            Assert.True(MaxAbsDiff(free[i].LogProbs[..tokens.Length], stopped[i].LogProbs) <= 1e-5, $"prompt {i}");
            if (reason == FinishReason.Eos) ended++; else lengths++;
        }
        Assert.True(stopped[0].Length <= 4 && stopped[0].FinishReason == FinishReason.Eos);
        Assert.True(ended >= 2, "both EOS ids end sequences");
        Assert.True(stopped.Sequences.Max(s => s.Length) > stopped[0].Length, "another sequence went on after row 0 stopped");
    }

    [Fact]
    public void Min_new_tokens_suppresses_eos_until_reached()
    {
        using var model = Model();
        var free = Free(new TextGenerator(model, Pad, Array.Empty<int>()));
        int at = FirstNew(free[0].TokenIds, 1);
        int eos = free[0].TokenIds[at]; // row 0 would stop after at + 1 tokens
        Assert.True(at < 4, "the fixture's row 0 has a new token early");
        var generator = new TextGenerator(model, Pad, new[] { eos });
        const int min = 6;
        var result = generator.Generate(Prompts, Options with { MinNewTokens = min });
        foreach (var s in result.Sequences)
        {
            Assert.True(s.Length >= min, $"length {s.Length} < {min}");
            Assert.DoesNotContain(eos, s.TokenIds[..min]);
            Assert.True(s.FinishReason == FinishReason.Length || (s.FinishReason == FinishReason.Eos && s.TokenIds[^1] == eos));
        }
        // Row 0 follows the free run until the suppressed step, then departs from it.
        Assert.Equal(free[0].TokenIds[..at], result[0].TokenIds[..at]);
        Assert.NotEqual(eos, result[0].TokenIds[at]);
        // Without the minimum it stops there.
        var early = generator.Generate(Prompts, Options);
        Assert.Equal(FinishReason.Eos, early[0].FinishReason);
        Assert.Equal(at + 1, early[0].Length);
    }

    [Fact]
    public void Max_new_tokens_ends_with_length()
    {
        using var model = Model();
        var result = new TextGenerator(model, Pad, Array.Empty<int>()).Generate(Prompts, Options with { MaxNewTokens = 5 });
        Assert.All(result.Sequences, s =>
        {
            Assert.Equal(5, s.Length);
            Assert.Equal(5, s.LogProbs.Length);
            Assert.Equal(FinishReason.Length, s.FinishReason);
            Assert.Null(s.StopString);
        });
        Assert.Equal(5L * Prompts.Length, result.GeneratedTokens);
        var free = Free(new TextGenerator(model, Pad, Array.Empty<int>()));
        Assert.Equal(free[2].TokenIds[..5], result[2].TokenIds); // a prefix of the longer run
    }

    [Fact]
    public void A_stop_string_ends_the_sequence_and_cuts_its_text()
    {
        using var model = Model();
        var tokenizer = Tokenizer;
        var free = Free(new TextGenerator(model, Pad, Array.Empty<int>(), tokenizer));
        // Row 3's text from its 4th to 5th word, as a stop string (World words decode joined by spaces).
        string freeText = free[3].Text!;
        string[] words = freeText.Split(' ');
        string stop = words[3] + " " + words[4];
        var result = new TextGenerator(model, Pad, Array.Empty<int>(), tokenizer)
            .Generate(Prompts, Options with { StopStrings = new[] { "never-decoded", stop } });
        for (int i = 0; i < Prompts.Length; i++)
        {
            // Expected: the fewest tokens whose decoded text contains the stop; text cut before it.
            int n = Enumerable.Range(1, NewTokens).FirstOrDefault(k => tokenizer.Decode(free[i].TokenIds[..k], true).Contains(stop, StringComparison.Ordinal));
            if (n == 0)
            {
                Assert.Equal(free[i].TokenIds, result[i].TokenIds);
                Assert.Equal(FinishReason.Length, result[i].FinishReason);
                Assert.Equal(free[i].Text, result[i].Text);
                continue;
            }
            string text = tokenizer.Decode(free[i].TokenIds[..n], true);
            Assert.Equal(free[i].TokenIds[..n], result[i].TokenIds);
            Assert.Equal(FinishReason.StopString, result[i].FinishReason);
            Assert.Equal(stop, result[i].StopString);
            Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], result[i].Text);
        }
        Assert.Equal(FinishReason.StopString, result[3].FinishReason);
        Assert.EndsWith(" ", result[3].Text);
    }

    [Fact]
    public void Texts_skip_special_tokens_unless_asked()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, Array.Empty<int>(), Tokenizer);
        var skipped = generator.Generate(Prompts, Options);
        var kept = generator.Generate(Prompts, Options with { SkipSpecialTokens = false });
        int withSpecial = 0;
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(skipped[i].TokenIds, kept[i].TokenIds);
            Assert.Equal(Tokenizer.Decode(skipped[i].TokenIds, skipSpecialTokens: true), skipped[i].Text);
            Assert.Equal(Tokenizer.Decode(kept[i].TokenIds, skipSpecialTokens: false), kept[i].Text);
            if (skipped[i].TokenIds.Any(Tokenizer.IsSpecial))
            {
                withSpecial++;
                Assert.NotEqual(skipped[i].Text, kept[i].Text);
            }
        }
        Assert.True(withSpecial > 0, "some sequence holds a special token, so the two texts differ somewhere");
    }
}
