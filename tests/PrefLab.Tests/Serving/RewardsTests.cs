using System.Text.Json.Nodes;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;

namespace PrefLab.Tests.Serving;

/// <summary>/v1/rewards gives <c>preflab rm score</c>'s numbers for the same conversations.</summary>
[Collection("Serving")]
public class RewardsTests(ServingFixture serving)
{
    static JsonArray Conversation(string question, string answer) => new(
        new JsonObject { ["role"] = "user", ["content"] = question },
        new JsonObject { ["role"] = "assistant", ["content"] = answer });

    [Fact]
    public async Task Rewards_equal_rm_score()
    {
        var conversations = new[]
        {
            Conversation("what is the capital of france ?", "paris ."),
            Conversation("what is the capital of france ?", "the answer is paris ."),
            Conversation("what is the capital of france ?", "i think so ."),
        };
        using var dir = new TempDir();
        string file = dir.File("conversations.jsonl");
        File.WriteAllLines(file, conversations.Select(c => new JsonObject { ["messages"] = c.DeepClone() }.ToJsonString()));
        var (exit, output, error) = Run("rm", "score", "--model", serving.RewardFolder, "--data", file);
        Assert.True(exit == 0, error);
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["reward"]!.GetValue<double>()).ToArray();

        var (status, body, text) = await serving.Post("/rewards", new JsonObject
        {
            ["model"] = ServingFixture.Reward, ["conversations"] = new JsonArray(conversations.Select(c => (JsonNode)c.DeepClone()).ToArray()),
        });
        Assert.True(status == 200, text);
        var data = body!["data"]!.AsArray();
        Assert.Equal(expected.Length, data.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(i, data[i]!["index"]!.GetValue<int>());
            Assert.Equal(expected[i], data[i]!["reward"]!.GetValue<double>(), 1e-5);
        }
        Assert.NotEqual(expected[0], expected[2]);

        // One conversation as "messages".
        var (_, one, _) = await serving.Post("/rewards", new JsonObject { ["model"] = ServingFixture.Reward, ["messages"] = conversations[1].DeepClone() });
        Assert.Equal(expected[1], one!["data"]![0]!["reward"]!.GetValue<double>(), 1e-5);
    }

    [Fact]
    public async Task Models_lists_the_policy_and_the_reward_model()
    {
        var (status, body) = await serving.Get("/models");
        Assert.Equal(200, status);
        var models = body!["data"]!.AsArray().ToDictionary(m => m!["id"]!.GetValue<string>(), m => m!["kind"]!.GetValue<string>());
        Assert.Equal("policy", models[ServingFixture.Policy]);
        Assert.Equal("reward_model", models[ServingFixture.Reward]);
        var client = new OpenAI.Models.OpenAIModelClient(new System.ClientModel.ApiKeyCredential(ServingFixture.ApiKey), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(serving.Url) });
        Assert.Equal(ServingFixture.Reward, client.GetModel(ServingFixture.Reward).Value.Id);
    }
}
