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
