using System.Text.Json.Nodes;

namespace PrefLab.Text.Tokenization;

/// <summary>
/// What a tokenizer.json <c>post_processor</c> does to one sequence when special tokens are added: the ids
/// before and after it. (ByteLevel post-processing only trims offsets, so it adds nothing here.)
/// </summary>
internal sealed record SpecialTokenTemplate(int[] Prefix, int[] Suffix)
{
    public static readonly SpecialTokenTemplate None = new([], []);

    public static SpecialTokenTemplate Parse(JsonNode? node, JsonFields json, string field = "post_processor")
    {
        if (node is null) return None;
        var obj = json.Object(node, field);
        string type = json.TypeOf(obj, field);
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                var steps = json.Array(obj["processors"], field + ".processors");
                for (int i = 0; i < steps.Count; i++)
                {
                    var step = Parse(steps[i], json, $"{field}.processors[{i}]");
                    prefix.AddRange(step.Prefix);
                    suffix.InsertRange(0, step.Suffix);
                }
                return new SpecialTokenTemplate(prefix.ToArray(), suffix.ToArray());
            }
            case "TemplateProcessing":
                return ParseTemplate(obj, json, field);
            case "RobertaProcessing":
            case "BertProcessing":
            {
                int Id(string key)
                {
                    var pair = json.Array(obj[key], $"{field}.{key}");
                    return json.Int(pair.Count == 2 ? pair[1] : null, $"{field}.{key}[1]");
                }
                return new SpecialTokenTemplate([Id("cls")], [Id("sep")]);
            }
            default:
                throw json.Unsupported(field, type);
        }
    }

    static SpecialTokenTemplate ParseTemplate(JsonObject obj, JsonFields json, string field)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (obj["special_tokens"] is JsonObject map)
            foreach (var (name, value) in map)
            {
                var ids = json.Array(json.Object(value, $"{field}.special_tokens.{name}")["ids"], $"{field}.special_tokens.{name}.ids");
                specials[name] = ids.Select((x, i) => json.Int(x, $"{field}.special_tokens.{name}.ids[{i}]")).ToArray();
            }
        var single = json.Array(obj["single"], field + ".single");
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        for (int i = 0; i < single.Count; i++)
        {
            string f = $"{field}.single[{i}]";
            var piece = json.Object(single[i], f);
            if (piece["Sequence"] is not null)
            {
                if (seenSequence) throw json.Error(f, "the single-sequence template names the sequence twice");
                seenSequence = true;
            }
            else if (piece["SpecialToken"] is JsonObject special)
            {
                string name = json.String(special["id"], f + ".SpecialToken.id");
                if (!specials.TryGetValue(name, out var ids))
                    throw json.Error(f + ".SpecialToken.id", $"'{name}' is not listed in {field}.special_tokens");
                (seenSequence ? suffix : prefix).AddRange(ids);
            }
            else throw json.Error(f, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
        if (!seenSequence) throw json.Error(field + ".single", "the template has no {\"Sequence\": {\"id\": \"A\"}}");
        return new SpecialTokenTemplate(prefix.ToArray(), suffix.ToArray());
    }
}
