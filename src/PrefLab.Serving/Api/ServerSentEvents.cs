using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PrefLab.Serving.Api;

/// <summary>OpenAI's streaming: <c>data: {chunk}</c> events, each flushed, ending with <c>data: [DONE]</c>.</summary>
public sealed class ServerSentEvents(HttpResponse response)
{
    bool started;

    async Task Start()
    {
        if (started) return;
        started = true;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.Body.FlushAsync();
    }

    public async Task Send(JsonObject chunk)
    {
        await Start();
        await response.WriteAsync("data: " + chunk.ToJsonString(Endpoints.ServerContext.Output) + "\n\n", Encoding.UTF8);
        await response.Body.FlushAsync();
    }

    public async Task Done()
    {
        await Start();
        await response.WriteAsync("data: [DONE]\n\n", Encoding.UTF8);
        await response.Body.FlushAsync();
    }
}
