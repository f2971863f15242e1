using System.Text.Json.Nodes;
using OpenAI.Chat;
using PrefLab.Models;
using PrefLab.Text;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;

namespace PrefLab.Tests.Serving;

/// <summary>Log-probs the server reports equal log_softmax of the logits <c>preflab logits</c> computes for the same
/// ids (to 1e-4): for generated tokens (chat, through the OpenAI client) and for prompt tokens (completions with
/// echo, the scoring path).</summary>
[Collection("Serving")]
public class LogProbTests(ServingFixture serving)
{
    static double[] LogSoftmax(float[] logits, int row, int vocab)
    {
        var x = logits.Skip(row * vocab).Take(vocab).Select(v => (double)v).ToArray();
        double max = x.Max();
        double log = Math.Log(x.Sum(v => Math.Exp(v - max))) + max;
        return x.Select(v => v - log).ToArray();
    }

    /// <summary><c>preflab logits</c>'s output for ids, flattened [T, V].</summary>
    float[] LogitsCommand(IReadOnlyList<int> ids)
    {
        var (exit, output, error) = Run("logits", "--model", serving.PolicyFolder, "--ids", string.Join(',', ids));
        Assert.True(exit == 0, error);
        return JsonNode.Parse(output)!["logits"]!.AsArray().SelectMany(row => row!.AsArray().Select(v => v!.GetValue<float>())).ToArray();
    }

    [Fact]
    public void Chat_logprobs_of_generated_tokens_equal_the_logits_path()
    {
        var tokenizer = TokenizerLoader.Load(serving.PolicyFolder);
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 6, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        var reply = serving.Chat().CompleteChat([new UserChatMessage("what is the capital of france ?")], options).Value;
        var tokens = reply.ContentTokenLogProbabilities;
        Assert.Equal(reply.Usage.OutputTokenCount, tokens.Count);
        var ids = tokens.Select(t => tokenizer.TokenToId(t.Token) ?? throw new InvalidOperationException($"no id for '{t.Token}'")).ToList();

        var chat = new PrefLab.Data.Collation.ChatTokenizer(tokenizer, PrefLab.Text.Chat.ChatFormats.Resolve(tokenizer, null));
        var prompt = chat.Prompt([PrefLab.Data.Records.Message.User("what is the capital of france ?")]);
        var sequence = prompt.Concat(ids).ToList();
        var logits = LogitsCommand(sequence);
        int vocab = logits.Length / sequence.Count;
        for (int t = 0; t < ids.Count; t++)
        {
            var expected = LogSoftmax(logits, prompt.Length + t - 1, vocab);
            Assert.Equal(expected[ids[t]], tokens[t].LogProbability, 1e-4);
            // Greedy: the chosen token is the most likely, and the alternatives are the top 3 in order.
            var top = tokens[t].TopLogProbabilities;
            Assert.Equal(3, top.Count);
            var best = expected.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(3).ToList();
            for (int k = 0; k < 3; k++) Assert.Equal(best[k].v, top[k].LogProbability, 1e-4);
            Assert.Equal(tokens[t].Token, top[0].Token);
        }
    }

    [Fact]
    public async Task Echo_with_logprobs_scores_the_prompt_tokens()
    {
        int[] ids = [2, 5, 11, 9, 7, 12, 10, 13, 22, 6];
        var (status, body, text) = await serving.Post("/completions", new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["prompt"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()),
            ["max_tokens"] = 0, ["echo"] = true, ["logprobs"] = 2,
        });
        Assert.True(status == 200, text);
        var choice = body!["choices"]![0]!;
        var logprobs = choice["logprobs"]!;
        var values = logprobs["token_logprobs"]!.AsArray();
        Assert.Equal(ids.Length, values.Count);
        Assert.Null(values[0]);
        Assert.Null(logprobs["top_logprobs"]![0]);
        var logits = LogitsCommand(ids);
        int vocab = logits.Length / ids.Length;
        for (int t = 1; t < ids.Length; t++)
        {
            var expected = LogSoftmax(logits, t - 1, vocab);
            Assert.Equal(expected[ids[t]], values[t]!.GetValue<double>(), 1e-4);
            var top = logprobs["top_logprobs"]![t]!.AsObject();
            Assert.Equal(2, top.Count);
            Assert.Equal(expected.Max(), top.Max(p => p.Value!.GetValue<double>()), 1e-4);
        }
        var tokenizer = TokenizerLoader.Load(serving.PolicyFolder);
        string echoed = choice["text"]!.GetValue<string>();
        Assert.Equal(tokenizer.Decode(ids, skipSpecialTokens: false), echoed);
        Assert.Equal(0, body["usage"]!["completion_tokens"]!.GetValue<int>());
        // Each token's text_offset is where its text starts in the choice's text (the World decoder puts spaces between words).
        var tokens = logprobs["tokens"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray();
        var offsets = logprobs["text_offset"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        Assert.Equal(ids.Length, offsets.Length);
        for (int t = 0; t < ids.Length; t++)
            Assert.True(string.CompareOrdinal(echoed, offsets[t], tokens[t], 0, tokens[t].Length) == 0, $"token {t} '{tokens[t]}' at {offsets[t]} of '{echoed}'");
        Assert.True(offsets.Skip(2).Distinct().Count() == ids.Length - 2, "offsets do not advance");

        // With new tokens, the prompt's entries come first, then the generated ones (as the chat path reports them).
        var (_, more, _) = await serving.Post("/completions", new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["prompt"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()),
            ["max_tokens"] = 3, ["temperature"] = 0, ["echo"] = true, ["logprobs"] = 0,
        });
        var all = more!["choices"]![0]!["logprobs"]!["token_logprobs"]!.AsArray();
        Assert.Equal(ids.Length + more["usage"]!["completion_tokens"]!.GetValue<int>(), all.Count);
        for (int t = 1; t < ids.Length; t++) Assert.Equal(values[t]!.GetValue<double>(), all[t]!.GetValue<double>(), 1e-6);
        string whole = more["choices"]![0]!["text"]!.GetValue<string>();
        // The echoed text reads as the prompt and the new tokens decoded together (the World decoder's space between them too).
        var generated = more["choices"]![0]!["logprobs"]!["tokens"]!.AsArray().Skip(ids.Length)
            .Select(x => tokenizer.TokenToId(x!.GetValue<string>())!.Value).Where(id => id != PrefLab.Tests.Generation.GenerationFixtures.Eos);
        Assert.Equal(tokenizer.Decode(ids.Concat(generated).ToList(), skipSpecialTokens: false), whole);
        var allTokens = more["choices"]![0]!["logprobs"]!["tokens"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray();
        var allOffsets = more["choices"]![0]!["logprobs"]!["text_offset"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        for (int t = 0; t < allTokens.Length; t++)
            if (allOffsets[t] < whole.Length && allTokens[t] != "</s>")
                Assert.True(string.CompareOrdinal(whole, allOffsets[t], allTokens[t], 0, allTokens[t].Length) == 0, $"token {t} '{allTokens[t]}' at {allOffsets[t]} of '{whole}'");
    }
}
