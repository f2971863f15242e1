using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using PrefLab.Models;
using PrefLab.Serving;
using PrefLab.Tests.Generation;
using PrefLab.Tests.RewardModels;
using Xunit;

namespace PrefLab.Tests.Serving;

/// <summary>
/// One server for the serving tests, on a free loopback port with an API key: a tiny policy (the generation
/// fixture's spread weights, so distributions depend on context) and a tiny reward model, both on the World
/// tokenizer (Tulu chat template). The inference loop runs one LibTorch thread.
/// </summary>
public sealed class ServingFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key";
    public const string Policy = "tiny-policy";
    public const string Reward = "tiny-rm";
    public const int MaxTokensLimit = 64;
    public const long MaxRequestBytes = 64 * 1024;

    readonly TempDir dir = new();
    PreflabServer? server;

    public string PolicyFolder => dir.File(Policy);
    public string RewardFolder => dir.File(Reward);
    public PreflabServer Server => server!;
    public string Url => Server.Url + "/v1";
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        using (var model = GenerationFixtures.Model(seed: 5, std: 0.5))
        {
            model.Save(PolicyFolder);
            ModelFolder.CopyTokenizerFiles(RmTestKit.Tokenizer, PolicyFolder);
        }
        RmTestKit.RewardFolder(RewardFolder, seed: 2);
        server = await PreflabServer.StartAsync(new ServeOptions
        {
            Models = [PolicyFolder, RewardFolder],
            Port = 0,
            ApiKey = ApiKey,
            MaxTokensLimit = MaxTokensLimit,
            MaxRequestBytes = MaxRequestBytes,
            MaxBatch = 16,
        }, threads: 1);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (server is not null) await server.DisposeAsync();
        dir.Dispose();
    }

    /// <summary>The official client, pointed at this server.</summary>
    public ChatClient Chat() => new(Policy, new ApiKeyCredential(ApiKey), new OpenAIClientOptions { Endpoint = new Uri(Url) });

    /// <summary>A raw POST (the key sent unless <paramref name="key"/> is null); status and parsed body.</summary>
    public async Task<(int Status, JsonNode? Body, string Text)> Post(string path, string body, string? key = ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url + path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        try { parsed = JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { }
        return ((int)response.StatusCode, parsed, text);
    }

    public Task<(int Status, JsonNode? Body, string Text)> Post(string path, JsonObject body, string? key = ApiKey) => Post(path, body.ToJsonString(), key);

    public async Task<(int Status, JsonNode? Body)> Get(string path, string? key = ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url + path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }
}

[CollectionDefinition("Serving")]
public sealed class ServingCollection : ICollectionFixture<ServingFixture>;
