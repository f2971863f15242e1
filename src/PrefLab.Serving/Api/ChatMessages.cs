using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Data.Records;

namespace PrefLab.Serving.Api;

/// <summary>OpenAI chat messages to PrefLab's: <c>{"role", "content"}</c> with content a string or a list of text
/// parts; "developer" (the newer name of the system role) becomes system.</summary>
public static class ChatMessages
{
    static readonly string[] KnownRoles = [Roles.System, Roles.User, Roles.Assistant, "developer"];

    public static IReadOnlyList<Message> Parse(JsonNode? node, string param)
    {
        if (node is null) throw ApiError.BadField(param, $"'{param}' is a required property", "missing_required_parameter");
        if (node is not JsonArray list) throw RequestFields.WrongType(param, "an array of messages", node);
        if (list.Count == 0) throw ApiError.BadField(param, $"'{param}' must hold at least one message");
        var messages = new List<Message>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            string at = $"{param}[{i}]";
            if (list[i] is not JsonObject message) throw RequestFields.WrongType(at, "a message object", list[i]);
            string role = message["role"] switch
            {
                null => throw ApiError.BadField($"{at}.role", $"'{at}.role' is a required property", "missing_required_parameter"),
                JsonValue v when v.GetValueKind() == JsonValueKind.String && KnownRoles.Contains(v.GetValue<string>()) => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.String =>
                    throw ApiError.BadField($"{at}.role", $"'{at}.role' must be one of {string.Join(", ", KnownRoles)}, not '{v.GetValue<string>()}'"),
                var other => throw RequestFields.WrongType($"{at}.role", "a string", other),
            };
            messages.Add(new Message(role == "developer" ? Roles.System : role, Content(message["content"], $"{at}.content")));
        }
        return messages;
    }

    static string Content(JsonNode? node, string param)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        if (node is JsonArray parts)
        {
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < parts.Count; i++)
            {
                if (parts[i] is not JsonObject part || part["type"]?.GetValueKind() != JsonValueKind.String)
                    throw RequestFields.WrongType($"{param}[{i}]", "a content part with a 'type'", parts[i]);
                string type = part["type"]!.GetValue<string>();
                if (type != "text") throw ApiError.BadField($"{param}[{i}].type", $"content parts of type '{type}' are not supported (text only)", "unsupported_parameter");
                text.Append(part["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>()
                    : part["text"] is null ? throw ApiError.BadField($"{param}[{i}].text", $"'{param}[{i}].text' is a required property", "missing_required_parameter")
                    : throw RequestFields.WrongType($"{param}[{i}].text", "a string", part["text"]));
            }
            return text.ToString();
        }
        throw node is null
            ? ApiError.BadField(param, $"'{param}' is a required property", "missing_required_parameter")
            : RequestFields.WrongType(param, "a string or an array of text parts", node);
    }
}
