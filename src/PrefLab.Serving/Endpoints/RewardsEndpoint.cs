using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PrefLab.Data.Records;
using PrefLab.Serving.Api;
using PrefLab.Serving.Inference;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Endpoints;

/// <summary>
/// <c>POST /v1/rewards</c> (PrefLab's own; OpenAI has none): rewards of conversations whose last turn is the
/// assistant response to score, <c>{"model", "conversations": [[{role, content}, ...], ...]}</c> (or one
/// conversation as <c>"messages"</c>). The numbers are <c>preflab rm score</c>'s: the same rendering, the head's
/// output at the final EOS, normalised when the folder stores a normalisation (then <c>reward_raw</c> holds the
/// head's output).
/// </summary>
public static class RewardsEndpoint
{
    public const int MaxConversations = 256;

    public static async Task Handle(HttpContext http, ServerContext server)
    {
        var fields = await ServerContext.ReadBody(http);
        string modelId = fields.RequiredString("model");
        var model = server.Models.Get<RewardServedModel>(modelId, "/v1/rewards");
        var conversations = Conversations(fields);
        var work = new RewardWork(model, conversations.Select(c => c.Messages).ToList());
        server.Loop.Enqueue(work);
        var raw = await work.Result;
        var rewards = model.Rewards;
        var data = new JsonArray();
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] is not double r)
                throw ApiError.BadField(conversations[i].Param, $"'{conversations[i].Param}' does not fit the reward model's {rewards.MaxLength} tokens");
            var item = new JsonObject { ["object"] = "reward", ["index"] = i, ["reward"] = rewards.Normalizer.Apply(r) };
            if (rewards.IsNormalized) item["reward_raw"] = r;
            data.Add(item);
        }
        await ServerContext.Json(http, new JsonObject { ["object"] = "list", ["model"] = model.Id, ["data"] = data });
    }

    static List<(IReadOnlyList<Message> Messages, string Param)> Conversations(RequestFields fields)
    {
        var result = new List<(IReadOnlyList<Message>, string)>();
        if (fields.Has("messages") == fields.Has("conversations"))
            throw ApiError.BadField("conversations", "give exactly one of 'conversations' (a list of message lists) and 'messages' (one conversation)", "missing_required_parameter");
        if (fields.Has("messages")) result.Add((ChatMessages.Parse(fields.Body["messages"], "messages"), "messages"));
        else
        {
            if (fields.Body["conversations"] is not JsonArray list) throw RequestFields.WrongType("conversations", "an array of message lists", fields.Body["conversations"]);
            if (list.Count == 0 || list.Count > MaxConversations)
                throw ApiError.BadField("conversations", $"'conversations' must hold 1 to {MaxConversations} conversations, not {list.Count}");
            for (int i = 0; i < list.Count; i++) result.Add((ChatMessages.Parse(list[i], $"conversations[{i}]"), $"conversations[{i}]"));
        }
        foreach (var (messages, param) in result)
            if (messages[^1].Role != Roles.Assistant)
                throw ApiError.BadField(param, $"the last message of '{param}' must be the assistant response to score, not a {messages[^1].Role} turn");
        return result;
    }
}
