using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using PrefLab.Generation;
using PrefLab.Serving.Api;
using PrefLab.Serving.Inference;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c>: text completion of raw prompts (strings tokenized with the tokenizer's special
/// tokens, as <c>generate --raw</c>; or token ids used as given). <c>echo</c> puts the prompt before each choice's
/// text and, with <c>logprobs</c>, the prompt tokens' log-probs before the new ones (the first token has none), so
/// <c>max_tokens: 0, echo: true, logprobs: 0</c> scores a text.
/// </summary>
public static class CompletionsEndpoint
{
    const int DefaultMaxTokens = 16; // OpenAI's default for this endpoint
    const int MaxLegacyTopLogProbs = 5;
    /// <summary>Most sequences (prompts x n) one request may ask for.</summary>
    public const int MaxSequences = 256;

    public static async Task Handle(HttpContext http, ServerContext server)
    {
        var fields = await ServerContext.ReadBody(http);
        string modelId = fields.RequiredString("model");
        if (!fields.Has("prompt")) throw ApiError.BadField("prompt", "'prompt' is a required property", "missing_required_parameter");
        var model = server.Models.Get<PolicyModel>(modelId, "/v1/completions");
        var prompts = Prompts(fields.Body["prompt"]!, model);
        bool echo = fields.Bool("echo", false);
        var sampling = SamplingFields.Read(fields, DefaultMaxTokens, server.Options.MaxTokensLimit, minMaxTokens: echo ? 0 : 1);
        sampling = sampling.FitContext(prompts.Max(p => p.Length), model.ContextLength, "prompt");
        if (prompts.Count * sampling.N > MaxSequences)
            throw ApiError.BadField(prompts.Count > MaxSequences ? "prompt" : "n",
                $"{prompts.Count} prompts x n = {sampling.N} asks for {prompts.Count * sampling.N} sequences; this server decodes at most {MaxSequences} for one request");
        int? logprobs = fields.Integer("logprobs", 0, MaxLegacyTopLogProbs);
        fields.Unsupported("suffix", n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0, "no insertion");
        if (sampling.Stream && echo) throw ApiError.BadField("echo", "'echo' is not supported with 'stream' by this server", "unsupported_parameter");
        int top = logprobs ?? 0;
        string id = ServerContext.NewId("cmpl-");
        long created = ServerContext.Now;

        PromptLogProbs[]? scored = null;
        if (echo && logprobs is not null)
        {
            var scoring = new PromptScoringWork(model, prompts, sampling.Temperature == 0 ? 1.0 : sampling.Temperature, top);
            server.Loop.Enqueue(scoring);
            scored = await scoring.Result;
        }
        var requests = prompts.SelectMany(p => Enumerable.Range(0, sampling.N).Select(i => sampling.Prompt(p, i))).ToList();
        var decoding = sampling.Decoding(top);

        if (sampling.Stream)
        {
            await Stream(http, server, model, sampling, requests, decoding, id, created, prompts.Sum(p => (long)p.Length));
            return;
        }
        GeneratedSequence[] sequences = [];
        if (sampling.MaxTokens > 0)
        {
            var work = new GenerationWork(model, decoding, requests);
            server.Loop.Enqueue(work);
            sequences = await work.Result;
        }
        var choices = new JsonArray();
        for (int p = 0; p < prompts.Count; p++)
            for (int i = 0; i < sampling.N; i++)
            {
                int index = p * sampling.N + i;
                var s = sequences.Length > 0 ? sequences[index] : null;
                string promptText = echo ? model.Tokenizer.Decode(prompts[p], skipSpecialTokens: false) : "";
                // What the decoder puts between the prompt and the first new token (WordLevel: a space; byte-level BPE: none).
                if (echo && s is { Text.Length: > 0 }) promptText += Separator(model, prompts[p], s.TokenIds[0]);
                JsonNode? lp = null;
                if (logprobs is not null)
                {
                    var ids = new List<int>();
                    var values = new List<float?>();
                    var alts = new List<TopLogProb[]?>();
                    var offsets = new List<int>();
                    if (scored is not null)
                    {
                        ids.AddRange(prompts[p]);
                        offsets.AddRange(LogProbJson.TextOffsets(model, prompts[p], skipSpecialTokens: false));
                        values.Add(null);
                        values.AddRange(scored[p].LogProbs.Select(x => (float?)x));
                        alts.Add(null);
                        alts.AddRange(scored[p].Top is { } t ? t : scored[p].LogProbs.Select(_ => (TopLogProb[]?)null));
                    }
                    if (s is not null)
                    {
                        ids.AddRange(s.TokenIds);
                        // The generated text follows the echoed prompt; stop strings may cut it before its last tokens.
                        int text = (s.Text ?? "").Length;
                        offsets.AddRange(LogProbJson.TextOffsets(model, s.TokenIds, decoding.SkipSpecialTokens).Select(o => promptText.Length + Math.Min(o, text)));
                        values.AddRange(s.LogProbs.Select(x => (float?)x));
                        alts.AddRange(s.TopLogProbs is { } t ? t : s.LogProbs.Select(_ => (TopLogProb[]?)null));
                    }
                    lp = LogProbJson.Completion(model, ids, values, alts, top, offsets);
                }
                choices.Add(new JsonObject
                {
                    ["text"] = promptText + (s?.Text ?? ""),
                    ["index"] = index,
                    ["logprobs"] = lp,
                    ["finish_reason"] = s is null ? "length" : ServerContext.FinishReason(s),
                });
            }
        await ServerContext.Json(http, new JsonObject
        {
            ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = model.Id,
            ["system_fingerprint"] = ChatCompletionsEndpoint.Fingerprint, ["choices"] = choices,
            ["usage"] = ServerContext.Usage(prompts.Sum(p => (long)p.Length), sequences.Sum(s => (long)s.Length)),
        });
    }

    static async Task Stream(HttpContext http, ServerContext server, PolicyModel model, SamplingFields sampling, List<PromptRequest> requests,
        GenerationOptions decoding, string id, long created, long promptTokens)
    {
        var tokens = Channel.CreateUnbounded<(int Choice, GeneratedToken Token)>();
        var work = new GenerationWork(model, decoding, requests, (choice, token) => tokens.Writer.TryWrite((choice, token)));
        _ = work.Result.ContinueWith(t => tokens.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        server.Loop.Enqueue(work);
        if (!await tokens.Reader.WaitToReadAsync(http.RequestAborted)) await work.Result;
        var events = new ServerSentEvents(http.Response);
        JsonObject Chunk(int choice, string text, string? finish) => new()
        {
            ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = model.Id,
            ["choices"] = new JsonArray(new JsonObject { ["text"] = text, ["index"] = choice, ["logprobs"] = null, ["finish_reason"] = finish }),
        };
        var deltas = requests.Select(r => new TextDelta(r.StopStrings ?? [])).ToArray();
        long completionTokens = 0;
        await foreach (var (choice, token) in tokens.Reader.ReadAllAsync(http.RequestAborted))
        {
            completionTokens++;
            string text = token.Finished is { } done ? deltas[choice].Finish(done.Text ?? "")
                : deltas[choice].Add(token.TokenId, ids => model.Tokenizer.Decode(ids, skipSpecialTokens: true));
            if (text.Length > 0 || token.Finished is not null)
                await events.Send(Chunk(choice, text, token.Finished is { } f ? ServerContext.FinishReason(f) : null));
        }
        if (sampling.IncludeUsage)
            await events.Send(new JsonObject
            {
                ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = model.Id,
                ["choices"] = new JsonArray(), ["usage"] = ServerContext.Usage(promptTokens, completionTokens),
            });
        await events.Done();
    }

    /// <summary>The text the tokenizer's decoder puts between <paramref name="prompt"/> and a following token, found by
    /// decoding them together; none when the joint decoding does not split cleanly.</summary>
    static string Separator(PolicyModel model, int[] prompt, int next)
    {
        string before = model.Tokenizer.Decode(prompt, skipSpecialTokens: false);
        string token = model.Tokenizer.Decode([next], skipSpecialTokens: false);
        string both = model.Tokenizer.Decode([.. prompt, next], skipSpecialTokens: false);
        return both.Length >= before.Length + token.Length && both.StartsWith(before, StringComparison.Ordinal) && both.EndsWith(token, StringComparison.Ordinal)
            ? both[before.Length..(both.Length - token.Length)] : "";
    }

    /// <summary>A string, a list of strings, a list of token ids, or a list of such lists.</summary>
    static List<int[]> Prompts(JsonNode node, PolicyModel model)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return [Encode(v.GetValue<string>(), "prompt", model)];
        if (node is not JsonArray list || list.Count == 0)
            throw RequestFields.WrongType("prompt", "a string, an array of strings, or an array of token ids", node is JsonArray ? null : node);
        if (list.All(x => x is JsonValue s && s.GetValueKind() == JsonValueKind.Number)) return [Ids(list, "prompt", model)];
        var prompts = new List<int[]>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            string at = $"prompt[{i}]";
            prompts.Add(list[i] switch
            {
                JsonValue s when s.GetValueKind() == JsonValueKind.String => Encode(s.GetValue<string>(), at, model),
                JsonArray ids => Ids(ids, at, model),
                var other => throw RequestFields.WrongType(at, "a string or an array of token ids", other),
            });
        }
        return prompts;
    }

    static int[] Encode(string text, string param, PolicyModel model)
    {
        var ids = model.Tokenizer.Encode(text, addSpecialTokens: true).ToArray();
        return ids.Length > 0 ? ids : throw ApiError.BadField(param, $"'{param}' tokenizes to no tokens");
    }

    static int[] Ids(JsonArray list, string param, PolicyModel model)
    {
        if (list.Count == 0) throw ApiError.BadField(param, $"'{param}' must hold at least one token id");
        var ids = new int[list.Count];
        for (int i = 0; i < list.Count; i++)
            ids[i] = RequestFields.Integer(list[i], $"{param}[{i}]", 0, model.VocabSize - 1)
                ?? throw RequestFields.WrongType($"{param}[{i}]", "a token id", null);
        return ids;
    }
}
