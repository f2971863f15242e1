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

    /// <summary>
    /// Where each token starts in <c>Decode(ids)</c>: the end of the decoded prefix that ends with it, less the
    /// token's own decoded length (so a separator the decoder puts between tokens, as WordLevel's space, comes before
    /// the token's offset), kept in order and inside the text. A token the decoding skips sits where the text has got to.
    /// </summary>
    public static int[] TextOffsets(PolicyModel model, IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        var offsets = new int[ids.Count];
        int previous = 0;
        for (int t = 0; t < ids.Count; t++)
        {
            int end = model.Tokenizer.Decode(ids.Take(t + 1).ToList(), skipSpecialTokens).Length;
            int own = model.Tokenizer.Decode([ids[t]], skipSpecialTokens).Length;
            previous = offsets[t] = Math.Clamp(end - own, previous, Math.Max(end, previous));
        }
        return offsets;
    }

    /// <summary>The legacy completions object: one entry a token; a null log-prob (the first prompt token) has null
    /// alternatives too. <paramref name="offsets"/> are the tokens' character offsets in the choice's text.</summary>
    public static JsonObject Completion(PolicyModel model, IReadOnlyList<int> ids, IReadOnlyList<float?> logProbs,
        IReadOnlyList<TopLogProb[]?> top, int topCount, IReadOnlyList<int> offsets)
    {
        var tokens = new JsonArray();
        var values = new JsonArray();
        var alternatives = new JsonArray();
        var textOffsets = new JsonArray();
        for (int t = 0; t < ids.Count; t++)
        {
            string token = model.TokenText(ids[t]);
            tokens.Add(token);
            values.Add(logProbs[t] is float lp ? JsonValue.Create(lp) : null);
            textOffsets.Add(offsets[t]);
            if (top[t] is TopLogProb[] alts && logProbs[t] is not null)
            {
                var map = new JsonObject();
                foreach (var alt in alts.Take(topCount)) map[model.TokenText(alt.TokenId)] = alt.LogProb;
                alternatives.Add(map);
            }
            else alternatives.Add(null);
        }
        return new JsonObject { ["tokens"] = tokens, ["token_logprobs"] = values, ["top_logprobs"] = alternatives, ["text_offset"] = textOffsets };
    }
}
