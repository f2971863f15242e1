using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PrefLab.Serving.Api;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, with PrefLab's <c>kind</c> (policy or reward_model) beside
/// OpenAI's fields.</summary>
public static class ModelsEndpoint
{
    public static Task List(HttpContext http, ServerContext server) =>
        ServerContext.Json(http, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(server.Models.All.Select(Entry).ToArray()) });

    public static Task One(HttpContext http, ServerContext server, string id) =>
        ServerContext.Json(http, Entry(server.Models.All.FirstOrDefault(m => m.Id == id) ?? throw ApiError.UnknownModel(id, server.Models.All.Select(m => m.Id))));

    static JsonNode Entry(ServedModel model) => new JsonObject
    {
        ["id"] = model.Id, ["object"] = "model", ["created"] = Created(model), ["owned_by"] = "preflab", ["kind"] = model.Kind,
    };

    static long Created(ServedModel model) =>
        new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(model.Folder, "config.json"))).ToUnixTimeSeconds();
}
