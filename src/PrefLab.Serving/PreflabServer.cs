using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrefLab.Runtime;
using PrefLab.Serving.Api;
using PrefLab.Serving.Endpoints;
using PrefLab.Serving.Inference;
using PrefLab.Serving.Models;

namespace PrefLab.Serving;

/// <summary>
/// <c>preflab serve</c>'s library entry point: an OpenAI-compatible HTTP server (Kestrel, minimal APIs) for policies
/// (<c>/v1/chat/completions</c>, <c>/v1/completions</c>) and reward models (<c>/v1/rewards</c>). Requests are parsed
/// and answered on Kestrel's threads; all model work goes through one <see cref="InferenceLoop"/>, which batches
/// what is waiting. Every error is OpenAI's JSON error body; bad input is a 4xx, never a 500.
/// </summary>
public sealed class PreflabServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ModelCatalog models;
    readonly InferenceLoop loop;

    PreflabServer(WebApplication app, ModelCatalog models, InferenceLoop loop, string url)
    {
        this.app = app;
        this.models = models;
        this.loop = loop;
        Url = url;
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:8000 (the API is under /v1).</summary>
    public string Url { get; }

    public IEnumerable<ServedModel> Models => models.All;
    public InferenceLoop Loop => loop;

    /// <summary>Loads the models, binds, and starts answering; returns once the port is bound.</summary>
    /// <param name="threads">LibTorch threads of the inference loop (0: as set).</param>
    public static async Task<PreflabServer> StartAsync(ServeOptions options, int threads = 0)
    {
        options.Validate();
        var address = ServeOptions.ParseHost(options.Host);
        var models = new ModelCatalog(options.Models, options.ChatFormat);
        var loop = new InferenceLoop(options.MaxBatch, threads);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(address, options.Port);
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
                kestrel.AddServerHeader = false;
            });
            var app = builder.Build();
            var context = new ServerContext(models, loop, options);
            app.Use(Errors);
            if (options.ApiKey is string key) app.Use(RequireKey(key));
            app.MapGet("/v1/models", http => ModelsEndpoint.List(http, context));
            app.MapGet("/v1/models/{id}", http => ModelsEndpoint.One(http, context, (string)http.Request.RouteValues["id"]!));
            app.MapPost("/v1/chat/completions", http => ChatCompletionsEndpoint.Handle(http, context));
            app.MapPost("/v1/completions", http => CompletionsEndpoint.Handle(http, context));
            app.MapPost("/v1/rewards", http => RewardsEndpoint.Handle(http, context));
            app.MapFallback(NotFound);
            try
            {
                await app.StartAsync();
            }
            catch (IOException e)
            {
                await app.DisposeAsync();
                throw UserError.InOption("port", $"cannot listen on {options.Host}:{options.Port}: {e.Message}");
            }
            string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new PreflabServer(app, models, loop, url);
        }
        catch
        {
            loop.Dispose();
            models.Dispose();
            throw;
        }
    }

    static readonly string[] PostPaths = ["/v1/chat/completions", "/v1/completions", "/v1/rewards"];

    /// <summary>A path no route has: 405 for a served path asked with the wrong method, else 404.</summary>
    static Task NotFound(HttpContext http) => throw (PostPaths.Contains(http.Request.Path.Value?.TrimEnd('/'))
        ? new ApiError(405, $"Method {http.Request.Method} is not allowed on {http.Request.Path}; use POST", ApiError.InvalidRequest, null, "method_not_allowed")
        : new ApiError(404, $"Unknown path {http.Request.Method} {http.Request.Path}", ApiError.InvalidRequest, null, "not_found"));

    /// <summary>Every failure as OpenAI's error body: ours with their status, Kestrel's (413 body too large, 400 bad
    /// framing) with theirs, a library <see cref="UserError"/> (bad input the checks above did not catch) as 400; only
    /// a bug is a 500.</summary>
    static async Task Errors(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            var (status, body) = e switch
            {
                ApiError api => (api.Status, api.ToJson()),
                BadHttpRequestException bad when bad.StatusCode == 413 =>
                    (413, ApiError.Body($"The request body is larger than this server's limit (preflab serve --max-request-bytes): {bad.Message}", ApiError.InvalidRequest, null, "request_too_large")),
                BadHttpRequestException bad => (bad.StatusCode, ApiError.Body(bad.Message, ApiError.InvalidRequest, null, null)),
                UserError user => (400, ApiError.Body(user.Message, ApiError.InvalidRequest, null, "invalid_value")),
                _ => (500, ApiError.Body($"internal error: {e.GetType().Name}: {e.Message}", "server_error", null, null)),
            };
            await Write(http, status, body);
        }
    }

    static Task Write(HttpContext http, int status, System.Text.Json.Nodes.JsonObject body)
    {
        http.Response.Clear();
        return ServerContext.Json(http, body, status);
    }

    static Func<HttpContext, RequestDelegate, Task> RequireKey(string key)
    {
        byte[] expected = Encoding.UTF8.GetBytes("Bearer " + key);
        return (http, next) =>
        {
            string? given = http.Request.Headers.Authorization;
            if (given is null) throw ApiError.MissingApiKey(given: false);
            // Constant time, so the key cannot be guessed a byte at a time from response times.
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected)) throw ApiError.MissingApiKey(given: true);
            return next(http);
        };
    }

    /// <summary>Runs until <paramref name="stop"/> fires.</summary>
    public async Task WaitAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        loop.Dispose();
        models.Dispose();
    }
}
