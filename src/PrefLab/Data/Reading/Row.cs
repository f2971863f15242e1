using System.Text.Json.Nodes;
using PrefLab.Data.Records;

namespace PrefLab.Data.Reading;

/// <summary>One row of a data file as a JSON object (Parquet rows are converted to the same shape), or the
/// reason it could not be read as one.</summary>
internal sealed class Row
{
    Row(JsonObject? fields, RowLocation location, RowError? problem)
    {
        FieldsOrNull = fields;
        Location = location;
        Problem = problem;
    }

    public static Row Of(JsonObject fields, RowLocation location) => new(fields, location, null);
    public static Row Invalid(RowLocation location, RowError problem) => new(null, location, problem);

    public JsonObject? FieldsOrNull { get; }
    public JsonObject Fields => FieldsOrNull ?? throw new InvalidOperationException("an invalid row has no fields");
    public RowLocation Location { get; }
    /// <summary>Why the row is not a JSON object (invalid JSON, a list, ...); null for a readable row.</summary>
    public RowError? Problem { get; }

    public bool Has(string name) => FieldsOrNull?.TryGetPropertyValue(name, out var node) == true && node is not null;
    public JsonNode Required(string name) => Json.Required(Fields, name);
    public JsonNode? Optional(string name) => Json.Optional(Fields, name);
    public string String(string name) => Json.String(Required(name), name);
    public double Number(string name) => Json.Number(Required(name), name);
    public double? OptionalNumber(string name) => Json.OptionalNumber(Fields, name);
    public JsonArray Array(string name) => Json.Array(Required(name), name);
    public IReadOnlyList<Message> Messages(string name) => Json.Messages(Required(name), name);
    public IReadOnlyList<Message> TextOrMessages(string name, string role) => Json.TextOrMessages(Required(name), name, role);
}
