using System.Text.Json.Nodes;
using Xunit;

namespace PrefLab.Tests.Serving;

/// <summary>Bad requests get OpenAI's error body <c>{"error": {"message", "type", "param", "code"}}</c> with a 4xx
/// status naming the field at fault; never a 500.</summary>
[Collection("Serving")]
public class MalformedRequestTests(ServingFixture serving)
{
    static JsonObject Chat(Action<JsonObject>? change = null)
    {
        var body = new JsonObject { ["model"] = ServingFixture.Policy, ["messages"] = ChatCompletionTests.Messages(), ["max_tokens"] = 2 };
        change?.Invoke(body);
        return body;
    }

    static void AssertError((int Status, JsonNode? Body, string Text) response, int status, string? param, string? code = null)
    {
        Assert.True(response.Status == status, $"status {response.Status}, expected {status}: {response.Text}");
        var error = response.Body?["error"]?.AsObject();
        Assert.True(error is not null, response.Text);
        Assert.Equal(["message", "type", "param", "code"], error!.Select(p => p.Key).ToArray());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        if (code is not null) Assert.Equal(code, error["code"]?.GetValue<string>());
    }

    [Fact]
    public async Task Bad_json_is_400()
    {
        AssertError(await serving.Post("/chat/completions", "{\"model\": "), 400, null, "invalid_json");
        AssertError(await serving.Post("/chat/completions", "[1, 2]"), 400, null, "invalid_json");
        AssertError(await serving.Post("/chat/completions", ""), 400, null, "invalid_json");
        AssertError(await serving.Post("/completions", "not json"), 400, null, "invalid_json");
        AssertError(await serving.Post("/rewards", "{\"model\": \"tiny-rm\", }"), 400, null, "invalid_json");
    }

    [Fact]
    public async Task Wrong_types_and_values_are_400_naming_the_field()
    {
        AssertError(await serving.Post("/chat/completions", Chat(b => b["temperature"] = "hot")), 400, "temperature", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["temperature"] = 5)), 400, "temperature");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["max_tokens"] = "10")), 400, "max_tokens", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["max_tokens"] = 2.5)), 400, "max_tokens", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["n"] = 0)), 400, "n");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["top_p"] = 0)), 400, "top_p");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["stream"] = "yes")), 400, "stream", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["seed"] = "one")), 400, "seed", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["stop"] = 3)), 400, "stop", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["stop"] = new JsonArray("a", "b", "c", "d", "e"))), 400, "stop");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["top_logprobs"] = 3)), 400, "top_logprobs");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = "hello")), 400, "messages", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray())), 400, "messages");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject { ["role"] = "robot", ["content"] = "x" }))), 400, "messages[0].role");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = 5 }))), 400, "messages[0].content", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b.Remove("model"))), 400, "model", "missing_required_parameter");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["model"] = 3)), 400, "model", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["frequency_penalty"] = 0.5)), 400, "frequency_penalty", "unsupported_parameter");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = new JsonArray(1, 99999) }), 400, "prompt[1]");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = true }), 400, "prompt", "invalid_type");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = "x", ["max_tokens"] = 0 }), 400, "max_tokens");
        AssertError(await serving.Post("/rewards", new JsonObject { ["model"] = ServingFixture.Reward, ["conversations"] = new JsonArray(ChatCompletionTests.Messages()) }), 400, "conversations[0]");
        AssertError(await serving.Post("/rewards", new JsonObject { ["model"] = ServingFixture.Reward, ["conversations"] = 1 }), 400, "conversations", "invalid_type");
        // The wrong kind of model for the endpoint.
        AssertError(await serving.Post("/rewards", new JsonObject { ["model"] = ServingFixture.Policy, ["messages"] = ChatCompletionTests.Messages() }), 400, "model", "model_not_supported");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["model"] = ServingFixture.Reward)), 400, "model", "model_not_supported");
    }

    [Fact]
    public async Task Oversized_max_tokens_is_400_and_an_oversized_body_413()
    {
        AssertError(await serving.Post("/chat/completions", Chat(b => b["max_tokens"] = ServingFixture.MaxTokensLimit + 1)), 400, "max_tokens");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["max_completion_tokens"] = 100000)), 400, "max_completion_tokens");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = "x", ["max_tokens"] = 1 << 30 }), 400, "max_tokens");
        string huge = new('a', (int)ServingFixture.MaxRequestBytes + 10);
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = ChatCompletionTests.Messages(huge))), 413, null, "request_too_large");
    }

    [Fact]
    public async Task Unknown_model_is_404()
    {
        AssertError(await serving.Post("/chat/completions", Chat(b => b["model"] = "gpt-4")), 404, "model", "model_not_found");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = "gpt-4", ["prompt"] = "x" }), 404, "model", "model_not_found");
        AssertError(await serving.Post("/rewards", new JsonObject { ["model"] = "gpt-4", ["messages"] = ChatCompletionTests.Messages() }), 404, "model", "model_not_found");
        var (status, body) = await serving.Get("/models/gpt-4");
        Assert.Equal(404, status);
        Assert.Equal("model_not_found", body!["error"]!["code"]!.GetValue<string>());
        AssertError(await serving.Post("/nothing", Chat()), 404, null, "not_found");
    }

    [Fact]
    public async Task More_fields_at_fault_are_named()
    {
        AssertError(await serving.Post("/chat/completions", "{\"model\": \"tiny-policy\", \"model\": \"x\", \"messages\": []}"), 400, null, "invalid_json");
        AssertError(await serving.Post("/chat/completions", "{\"model\": \"tiny-policy\", \"messages\": [{\"role\": \"user\", \"content\": \"a\", \"content\": \"b\"}]}"), 400, null, "invalid_json");
        AssertError(await serving.Post("/chat/completions", new string('[', 200) + new string(']', 200)), 400, null, "invalid_json");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject { ["content"] = "x" }))), 400, "messages[0].role", "missing_required_parameter");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject { ["role"] = 1, ["content"] = "x" }))), 400, "messages[0].role", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject { ["role"] = "user" }))), 400, "messages[0].content", "missing_required_parameter");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray("hello"))), 400, "messages[0]", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text" }),
        }))), 400, "messages[0].content[0].text", "missing_required_parameter");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject() }),
        }))), 400, "messages[0].content[0].type", "unsupported_parameter");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["logprobs"] = "yes")), 400, "logprobs", "invalid_type");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["top_logprobs"] = 21)), 400, "top_logprobs");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["n"] = 17)), 400, "n");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["max_tokens"] = -1)), 400, "max_tokens");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["temperature"] = -0.5)), 400, "temperature");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["stop"] = "")), 400, "stop");
        AssertError(await serving.Post("/chat/completions", Chat(b => b["stream_options"] = 1)), 400, "stream_options", "invalid_type");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = "x", ["echo"] = true, ["stream"] = true }), 400, "echo", "unsupported_parameter");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy }), 400, "prompt", "missing_required_parameter");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = new JsonArray() }), 400, "prompt", "invalid_type");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = "x", ["logprobs"] = 6 }), 400, "logprobs");
        var prompts = new JsonArray(Enumerable.Range(0, 20).Select(_ => (JsonNode)"hello").ToArray());
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = prompts, ["n"] = 16, ["max_tokens"] = 1 }), 400, "n");
        AssertError(await serving.Post("/rewards", new JsonObject { ["model"] = ServingFixture.Reward }), 400, "conversations", "missing_required_parameter");
        AssertError(await serving.Post("/rewards", new JsonObject
        {
            ["model"] = ServingFixture.Reward, ["messages"] = ChatCompletionTests.Messages(), ["conversations"] = new JsonArray(ChatCompletionTests.Messages()),
        }), 400, "conversations", "missing_required_parameter");
    }

    [Fact]
    public async Task A_prompt_and_max_tokens_beyond_the_context_are_400_and_a_default_max_tokens_shrinks_to_fit()
    {
        // The tiny policy has 256 positions; its chat template adds a few tokens around the user's words.
        int context = serving.Server.Models.OfType<PrefLab.Serving.Models.PolicyModel>().Single().ContextLength;
        Assert.Equal(256, context);
        JsonArray Ids(int count) => new(Enumerable.Range(0, count).Select(i => (JsonNode)(7 + i % 40)).ToArray());
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = Ids(context - 4), ["max_tokens"] = 5 }), 400, "max_tokens", "context_length_exceeded");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = Ids(context + 1), ["echo"] = true, ["logprobs"] = 0, ["max_tokens"] = 0 }), 400, "prompt", "context_length_exceeded");
        AssertError(await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = Ids(context) }), 400, "prompt", "context_length_exceeded");
        var (status, body, text) = await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = Ids(context - 4), ["max_tokens"] = 4, ["temperature"] = 0 });
        Assert.True(status == 200, text);
        (status, body, text) = await serving.Post("/completions", new JsonObject { ["model"] = ServingFixture.Policy, ["prompt"] = Ids(context), ["echo"] = true, ["logprobs"] = 0, ["max_tokens"] = 0 });
        Assert.True(status == 200, text);
        Assert.Equal(context, body!["choices"]![0]!["logprobs"]!["tokens"]!.AsArray().Count);

        string words = string.Join(' ', Enumerable.Repeat("paris", context - 7));
        AssertError(await serving.Post("/chat/completions", Chat(b => { b["messages"] = ChatCompletionTests.Messages(words + string.Concat(Enumerable.Repeat(" paris", 10))); b.Remove("max_tokens"); })), 400, "messages", "context_length_exceeded");
        AssertError(await serving.Post("/chat/completions", Chat(b => { b["messages"] = ChatCompletionTests.Messages(words); b["max_tokens"] = 10; })), 400, "max_tokens", "context_length_exceeded");
        // Without max_tokens the reply takes what is left of the context (the default would not fit).
        (status, body, text) = await serving.Post("/chat/completions", Chat(b => { b["messages"] = ChatCompletionTests.Messages(words); b.Remove("max_tokens"); b["temperature"] = 0; }));
        Assert.True(status == 200, text);
        long promptTokens = body!["usage"]!["prompt_tokens"]!.GetValue<long>(), completion = body["usage"]!["completion_tokens"]!.GetValue<long>();
        Assert.InRange(promptTokens, context - 8, context - 1);
        Assert.InRange(completion, 1, context - promptTokens);
    }

    [Fact]
    public async Task A_served_path_with_the_wrong_method_is_405()
    {
        var (status, body) = await serving.Get("/chat/completions");
        Assert.Equal(405, status);
        Assert.Equal("method_not_allowed", body!["error"]!["code"]!.GetValue<string>());
    }

    /// <summary>Values of every JSON kind and awkward sizes, put in place of each field in turn.</summary>
    static readonly JsonNode?[] OddValues =
    [
        null, true, false, 0, -1, 1, 3.5, 1e300, -1e300, 9223372036854775807, "", "x", new string('y', 3000),
        new JsonArray(), new JsonArray((JsonNode?)null), new JsonArray(1, "a"), new JsonObject(), new JsonObject { ["a"] = 1 },
    ];

    static IEnumerable<(string Path, JsonObject Body)> Mutations()
    {
        var chat = new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["messages"] = ChatCompletionTests.Messages(), ["max_tokens"] = 2, ["temperature"] = 0.5, ["top_p"] = 0.9,
            ["n"] = 1, ["stop"] = "?", ["seed"] = 1, ["logprobs"] = true, ["top_logprobs"] = 1, ["stream"] = false,
        };
        string[] chatExtra = ["max_completion_tokens", "stream_options", "frequency_penalty", "presence_penalty", "logit_bias", "tools", "tool_choice", "response_format", "user"];
        var completion = new JsonObject
        {
            ["model"] = ServingFixture.Policy, ["prompt"] = "hello", ["max_tokens"] = 2, ["echo"] = true, ["logprobs"] = 1, ["n"] = 1, ["stop"] = "?", ["seed"] = 1,
        };
        string[] completionExtra = ["suffix", "best_of", "stream", "temperature", "top_p"];
        var reward = new JsonObject
        {
            ["model"] = ServingFixture.Reward,
            ["conversations"] = new JsonArray(new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }, new JsonObject { ["role"] = "assistant", ["content"] = "hello ." })),
        };
        foreach (var (path, body, extra) in new[] { ("/chat/completions", chat, chatExtra), ("/completions", completion, completionExtra), ("/rewards", reward, new[] { "messages" }) })
            foreach (string field in body.Select(p => p.Key).Concat(extra).ToList())
                foreach (var value in OddValues)
                {
                    var mutated = body.DeepClone().AsObject();
                    mutated[field] = value?.DeepClone();
                    yield return (path, mutated);
                }
        // Inside the messages: each message field, and the message itself.
        foreach (var value in OddValues)
        {
            foreach (string field in new[] { "role", "content" })
            {
                var mutated = chat.DeepClone().AsObject();
                mutated["messages"]![0]![field] = value?.DeepClone();
                yield return ("/chat/completions", mutated);
            }
            var whole = chat.DeepClone().AsObject();
            whole["messages"]![0] = value?.DeepClone();
            yield return ("/chat/completions", whole);
            var conversation = reward.DeepClone().AsObject();
            conversation["conversations"]![0] = value?.DeepClone();
            yield return ("/rewards", conversation);
        }
    }

    [Fact]
    public async Task No_odd_value_in_any_field_gives_a_500()
    {
        int ok = 0, refused = 0;
        foreach (var (path, body) in Mutations())
        {
            var response = await serving.Post(path, body);
            Assert.True(response.Status is 200 or (>= 400 and < 500), $"{path} {body.ToJsonString()}: {response.Status} {response.Text}");
            if (response.Status == 200)
            {
                ok++;
                Assert.True(response.Body is JsonObject || response.Text.StartsWith("data: ", StringComparison.Ordinal), response.Text);
            }
            else
            {
                refused++;
                Assert.True(response.Body?["error"]?["message"] is not null, $"{path} {body.ToJsonString()}: {response.Text}");
            }
        }
        // Both outcomes happen: the base requests are valid and most odd values are not.
        Assert.True(ok > 20 && refused > 200, $"{ok} answered, {refused} refused");
    }

    [Fact]
    public async Task A_missing_or_wrong_api_key_is_401()
    {
        AssertError(await serving.Post("/chat/completions", Chat(), key: null), 401, null, "invalid_api_key");
        AssertError(await serving.Post("/chat/completions", Chat(), key: "wrong"), 401, null, "invalid_api_key");
        var (status, body) = await serving.Get("/models", key: null);
        Assert.Equal(401, status);
        Assert.Equal("invalid_api_key", body!["error"]!["code"]!.GetValue<string>());
        // The official client surfaces it as a 401 too.
        var client = new OpenAI.Chat.ChatClient(ServingFixture.Policy, new System.ClientModel.ApiKeyCredential("wrong"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(serving.Url) });
        var e = Assert.Throws<System.ClientModel.ClientResultException>(() => client.CompleteChat("hello"));
        Assert.Equal(401, e.Status);
    }
}
