using System.Text.Json.Nodes;
using OpenAI.Chat;
using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Text;
using PrefLab.Text.Chat;
using Xunit;

namespace PrefLab.Tests.Serving;

/// <summary>/v1/chat/completions through the official OpenAI client: the reply is the library's generation of the
/// chat-rendered prompt, streaming gives the same text in chunks ending with [DONE], a seed fixes the samples.</summary>
[Collection("Serving")]
public class ChatCompletionTests(ServingFixture serving)
{
    const string Question = "what is the capital of france ?";

    /// <summary>What the library generates for the question rendered with the folder's chat format.</summary>
    GeneratedSequence Library(GenerationOptions options)
    {
        using var model = CausalLM.Load(serving.PolicyFolder);
        var tokenizer = TokenizerLoader.Load(serving.PolicyFolder);
        var prompt = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null)).Prompt([Message.User(Question)]);
        return TextGenerator.For(model, tokenizer).Generate([prompt], options)[0];
    }

    [Fact]
    public void A_greedy_chat_completion_is_the_library_s_generation()
    {
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 8 };
        ChatCompletion reply = serving.Chat().CompleteChat([new UserChatMessage(Question)], options).Value;
        var expected = Library(GenerationOptions.Greedy(8));
        Assert.Equal(expected.Text, reply.Content[0].Text);
        Assert.Equal(expected.Length, reply.Usage.OutputTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, reply.FinishReason);
        Assert.Equal(ServingFixture.Policy, reply.Model);
        Assert.Equal(ChatMessageRole.Assistant, reply.Role);
    }

    [Fact]
    public async Task A_streamed_completion_gives_the_same_text_in_chunks_and_ends_with_done()
    {
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 10 };
        var whole = serving.Chat().CompleteChat([new UserChatMessage(Question)], options).Value.Content[0].Text;
        var parts = new List<string>();
        ChatFinishReason? finish = null;
        foreach (var update in serving.Chat().CompleteChatStreaming([new UserChatMessage(Question)], options))
        {
            parts.AddRange(update.ContentUpdate.Select(p => p.Text));
            finish ??= update.FinishReason;
        }
        Assert.Equal(whole, string.Concat(parts));
        Assert.True(parts.Count(p => p.Length > 0) > 1, "the text came in one piece");
        Assert.NotNull(finish);

        // The wire format: data: lines of chat.completion.chunk objects, then data: [DONE].
        var (status, _, text) = await serving.Post("/chat/completions", new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["messages"] = Messages(), ["max_tokens"] = 4, ["temperature"] = 0, ["stream"] = true,
        });
        Assert.Equal(200, status);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        foreach (var e in events[..^1])
            Assert.Equal("chat.completion.chunk", JsonNode.Parse(e["data: ".Length..])!["object"]!.GetValue<string>());
        Assert.Equal("length", JsonNode.Parse(events[^2]["data: ".Length..])!["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void Stop_sequences_cut_the_text_before_the_stop()
    {
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 12 };
        string whole = serving.Chat().CompleteChat([new UserChatMessage(Question)], options).Value.Content[0].Text;
        string[] words = whole.Split(' ');
        Assert.True(words.Length >= 3, whole);
        string stop = " " + words[2];
        options.StopSequences.Add(stop);
        var cut = serving.Chat().CompleteChat([new UserChatMessage(Question)], options).Value;
        Assert.Equal(whole[..whole.IndexOf(stop, StringComparison.Ordinal)], cut.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        // Streamed, the stop string is never sent.
        var streamed = string.Concat(serving.Chat().CompleteChatStreaming([new UserChatMessage(Question)], options).SelectMany(u => u.ContentUpdate).Select(p => p.Text));
        Assert.Equal(cut.Content[0].Text, streamed);
    }

    internal static JsonArray Messages(string text = Question) => new(new JsonObject { ["role"] = "user", ["content"] = text });

    static async Task<string[]> Sample(ServingFixture serving, long seed, int n = 1)
    {
        var (status, body, text) = await serving.Post("/chat/completions", new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["messages"] = Messages(), ["max_tokens"] = 12, ["temperature"] = 1.0, ["seed"] = seed, ["n"] = n,
        });
        Assert.True(status == 200, text);
        return body!["choices"]!.AsArray().Select(c => c!["message"]!["content"]!.GetValue<string>()).ToArray();
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        var first = await Sample(serving, 7, n: 3);
        var again = await Sample(serving, 7, n: 3);
        Assert.Equal(first, again);
        // Choice i of an n-choice request is the request with the same seed's i-th draw: choice 0 equals n = 1.
        Assert.Equal(first[0], (await Sample(serving, 7))[0]);
        Assert.True(first.Distinct().Count() > 1, "the choices of one request are all equal");
        var other = await Sample(serving, 8, n: 3);
        Assert.NotEqual(first, other);
    }
}
