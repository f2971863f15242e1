using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Generation;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Api;

/// <summary>Log-probs in OpenAI's two shapes: chat's <c>{"content": [{token, logprob, bytes, top_logprobs}]}</c> and
/// text completions' <c>{tokens, token_logprobs, top_logprobs, text_offset}</c>.</summary>
public static class LogProbJson
{
    static JsonArray Bytes(string text) => new(Encoding.UTF8.GetBytes(text).Select(b => (JsonNode)(int)b).ToArray());

    /// <summary>Chat entries of tokens (ids, log-probs, alternatives when asked for).</summary>
    public static JsonArray ChatContent(PolicyModel model, IReadOnlyList<int> ids, IReadOnlyList<float> logProbs, IReadOnlyList<TopLogProb[]>? top, int topCount)
    {
        var content = new JsonArray();
        for (int t = 0; t < ids.Count; t++)
        {
            string token = model.TokenText(ids[t]);
            var alternatives = new JsonArray();
            if (top is not null)
                foreach (var alt in top[t].Take(topCount))
                {
                    string text = model.TokenText(alt.TokenId);
                    alternatives.Add(new JsonObject { ["token"] = text, ["logprob"] = alt.LogProb, ["bytes"] = Bytes(text) });
                }
            content.Add(new JsonObject { ["token"] = token, ["logprob"] = logProbs[t], ["bytes"] = Bytes(token), ["top_logprobs"] = alternatives });
        }
        return content;
    }

    /// <summary>The legacy completions object: one entry a token; a null log-prob (the first prompt token) has null
    /// alternatives too. Offsets count characters of the token texts from <paramref name="startOffset"/>.</summary>
    public static JsonObject Completion(PolicyModel model, IReadOnlyList<int> ids, IReadOnlyList<float?> logProbs,
        IReadOnlyList<TopLogProb[]?> top, int topCount, int startOffset)
    {
        var tokens = new JsonArray();
        var values = new JsonArray();
        var alternatives = new JsonArray();
        var offsets = new JsonArray();
        int offset = startOffset;
        for (int t = 0; t < ids.Count; t++)
        {
            string token = model.TokenText(ids[t]);
            tokens.Add(token);
            values.Add(logProbs[t] is float lp ? JsonValue.Create(lp) : null);
            offsets.Add(offset);
            offset += token.Length;
            if (top[t] is TopLogProb[] alts && logProbs[t] is not null)
            {
                var map = new JsonObject();
                foreach (var alt in alts.Take(topCount)) map[model.TokenText(alt.TokenId)] = alt.LogProb;
                alternatives.Add(map);
            }
            else alternatives.Add(null);
        }
        return new JsonObject { ["tokens"] = tokens, ["token_logprobs"] = values, ["top_logprobs"] = alternatives, ["text_offset"] = offsets };
    }
}
