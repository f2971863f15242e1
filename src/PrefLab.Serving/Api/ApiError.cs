using System.Text.Json.Nodes;

namespace PrefLab.Serving.Api;

/// <summary>
/// An error answered the way OpenAI's API answers one: an HTTP status and
/// <c>{"error": {"message", "type", "param", "code"}}</c>. Bad input is always one of these (400, 401, 404, 413),
/// never a 500.
/// </summary>
public sealed class ApiError(int status, string message, string type, string? param, string? code) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public const string InvalidRequest = "invalid_request_error";

    /// <summary>400 naming the field at fault.</summary>
    public static ApiError BadField(string param, string message, string code = "invalid_value") =>
        new(400, message, InvalidRequest, param, code);

    public static ApiError BadRequest(string message, string? param = null, string? code = null) =>
        new(400, message, InvalidRequest, param, code);

    public static ApiError InvalidJson(string detail) =>
        new(400, $"We could not parse the JSON body of your request: {detail}", InvalidRequest, null, "invalid_json");

    public static ApiError UnknownModel(string model, IEnumerable<string> served) =>
        new(404, $"The model '{model}' does not exist; this server has {string.Join(", ", served.Select(m => $"'{m}'"))}", InvalidRequest, "model", "model_not_found");

    public static ApiError MissingApiKey(bool given) =>
        new(401, given ? "Incorrect API key provided." : "You didn't provide an API key. Send it in the Authorization header: 'Authorization: Bearer KEY'.",
            InvalidRequest, null, "invalid_api_key");

    public JsonObject ToJson() => Body(Message, Type, Param, Code);

    public static JsonObject Body(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
    };
}
