using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using PrefLab.Data.Records;

namespace PrefLab.Data.Writing;

/// <summary>
/// Records as the JSON rows PrefLab writes, readable again by its readers with nothing lost: pairs in
/// <c>pairwise</c> message-list form (<c>{"prompt": [...], "chosen": [...], "rejected": [...], "margin"}</c>),
/// SFT examples as <c>{"messages"}</c>, prompts as <c>{"prompt": "..."}</c> when a single user turn and
/// <c>{"messages"}</c> otherwise, texts as <c>{"text"}</c>; then <c>id</c>, <c>source</c>, <c>category</c>,
/// <c>subset</c> when set.
/// </summary>
public static class RecordJson
{
    /// <summary>Non-ASCII text written as is (readable, compact); quotes and control characters still escaped.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject ToJson(DataRecord record)
    {
        var obj = record switch
        {
            PreferencePair pair => new JsonObject
            {
                ["prompt"] = ToJson(pair.Prompt),
                ["chosen"] = ToJson(pair.Chosen),
                ["rejected"] = ToJson(pair.Rejected),
            },
            SftExample example => new JsonObject { ["messages"] = ToJson(example.Messages) },
            UnpairedExample unpaired => new JsonObject
            {
                ["prompt"] = ToJson(unpaired.Prompt),
                ["completion"] = ToJson(unpaired.Completion),
                ["label"] = unpaired.Desirable,
            },
            PromptRecord prompt => prompt.SingleUserText is { } text
                ? new JsonObject { ["prompt"] = text }
                : new JsonObject { ["messages"] = ToJson(prompt.Messages) },
            TextRecord text => new JsonObject { ["text"] = text.Text },
            _ => throw new ArgumentException($"no JSON form for {record.GetType().Name}", nameof(record)),
        };
        if (record is PreferencePair { Margin: double margin } && double.IsFinite(margin)) obj["margin"] = margin;
        if (record.Id is not null) obj["id"] = record.Id;
        if (record.Source is not null) obj["source"] = record.Source;
        if (record.Category is not null) obj["category"] = record.Category;
        if (record.Subset is not null) obj["subset"] = record.Subset;
        return obj;
    }

    public static JsonArray ToJson(IReadOnlyList<Message> messages) =>
        new(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray());

    /// <summary>The record as one compact JSONL line (no newline).</summary>
    public static string Line(DataRecord record) => ToJson(record).ToJsonString(Options);
}
