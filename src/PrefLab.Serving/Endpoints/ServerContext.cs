using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PrefLab.Generation;
using PrefLab.Serving.Api;
using PrefLab.Serving.Inference;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Endpoints;

/// <summary>What every endpoint uses: the models, the inference loop, the options; body reading and JSON answers.</summary>
public sealed class ServerContext(ModelCatalog models, InferenceLoop loop, ServeOptions options)
{
    public ModelCatalog Models { get; } = models;
    public InferenceLoop Loop { get; } = loop;
    public ServeOptions Options { get; } = options;

    /// <summary>The body as JSON fields. Kestrel enforces the size limit while reading (413).</summary>
    public static async Task<RequestFields> ReadBody(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        if (buffer.Length == 0) throw ApiError.InvalidJson("the body is empty");
        return RequestFields.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static async Task Json(HttpContext http, JsonNode body, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(Output), http.RequestAborted);
    }

    /// <summary>Compact, with text as written (no \u0027 for an apostrophe): JSON is UTF-8 and is not embedded in HTML.</summary>
    public static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    /// <summary>OpenAI's finish reasons: an EOS and a stop string are both "stop".</summary>
    public static string FinishReason(GeneratedSequence sequence) => sequence.FinishReason == Generation.FinishReason.Length ? "length" : "stop";

    public static JsonObject Usage(long prompt, long completion) => new()
    {
        ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion,
    };
}
