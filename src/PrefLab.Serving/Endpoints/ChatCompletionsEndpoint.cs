using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using PrefLab.Generation;
using PrefLab.Runtime;
using PrefLab.Serving.Api;
using PrefLab.Serving.Inference;
using PrefLab.Serving.Models;

namespace PrefLab.Serving.Endpoints;

/// <summary><c>POST /v1/chat/completions</c>: the messages rendered with the model's chat template (and the
/// assistant header), n choices decoded in the shared batches, whole or streamed as chunks.</summary>
public static class ChatCompletionsEndpoint
{
    public static async Task Handle(HttpContext http, ServerContext server)
    {
        var fields = await ServerContext.ReadBody(http);
        string modelId = fields.RequiredString("model");
        var model = server.Models.Get<PolicyModel>(modelId, "/v1/chat/completions");
        var messages = ChatMessages.Parse(fields.Body["messages"], "messages");
        var sampling = SamplingFields.Read(fields, server.Options.MaxTokensLimit, server.Options.MaxTokensLimit);
        bool logprobs = fields.Bool("logprobs", false);
        int top = fields.Integer("top_logprobs", 0, GenerationOptions.MaxTopLogProbs) ?? 0;
        if (top > 0 && !logprobs) throw ApiError.BadField("top_logprobs", "'top_logprobs' needs 'logprobs' set to true");
        fields.Unsupported("tools", n => n is JsonArray { Count: 0 }, "no tool calls");
        fields.Unsupported("tool_choice", n => n.ToString() == "none", "no tool calls");
        fields.Unsupported("response_format", n => n is JsonObject o && o["type"]?.ToString() == "text", "text responses only");

        int[] prompt;
        try
        {
            prompt = model.Chat.Prompt(messages);
        }
        catch (UserError e)
        {
            throw ApiError.BadField("messages", $"the model's chat template cannot render these messages: {e.Message}");
        }
        sampling = sampling.FitContext(prompt.Length, model.ContextLength, "messages");
        var requests = Enumerable.Range(0, sampling.N).Select(i => sampling.Prompt(prompt, i)).ToList();
        var decoding = sampling.Decoding(logprobs ? Math.Max(top, 0) : 0);
        string id = ServerContext.NewId("chatcmpl-");
        long created = ServerContext.Now;

        if (!sampling.Stream)
        {
            var work = new GenerationWork(model, decoding, requests);
            server.Loop.Enqueue(work);
            var sequences = await work.Result;
            var choices = new JsonArray();
            for (int i = 0; i < sequences.Length; i++)
            {
                var s = sequences[i];
                choices.Add(new JsonObject
                {
                    ["index"] = i,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = s.Text, ["refusal"] = null },
                    ["logprobs"] = logprobs ? new JsonObject { ["content"] = LogProbJson.ChatContent(model, s.TokenIds, s.LogProbs, s.TopLogProbs, top), ["refusal"] = null } : null,
                    ["finish_reason"] = ServerContext.FinishReason(s),
                });
            }
            await ServerContext.Json(http, new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model.Id,
                ["system_fingerprint"] = Fingerprint, ["choices"] = choices,
                ["usage"] = ServerContext.Usage(prompt.Length, sequences.Sum(s => (long)s.Length)),
            });
            return;
        }

        var tokens = Channel.CreateUnbounded<(int Choice, GeneratedToken Token)>();
        var streamed = new GenerationWork(model, decoding, requests, (choice, token) => tokens.Writer.TryWrite((choice, token)));
        _ = streamed.Result.ContinueWith(t => tokens.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        server.Loop.Enqueue(streamed);
        // Errors before the first token are answered as errors; the stream starts with the first token.
        if (!await tokens.Reader.WaitToReadAsync(http.RequestAborted)) await streamed.Result;

        var events = new ServerSentEvents(http.Response);
        JsonObject Chunk(int choice, JsonObject delta, JsonNode? logprobsNode, string? finish) => new()
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model.Id, ["system_fingerprint"] = Fingerprint,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = choice, ["delta"] = delta, ["logprobs"] = logprobsNode, ["finish_reason"] = finish }),
        };
        var deltas = Enumerable.Range(0, sampling.N).Select(_ => new TextDelta(sampling.Stop)).ToArray();
        for (int i = 0; i < sampling.N; i++)
            await events.Send(Chunk(i, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, null));
        long completionTokens = 0;
        await foreach (var (choice, token) in tokens.Reader.ReadAllAsync(http.RequestAborted))
        {
            completionTokens++;
            string text = token.Finished is { } done ? deltas[choice].Finish(done.Text ?? "")
                : deltas[choice].Add(token.TokenId, ids => model.Tokenizer.Decode(ids, skipSpecialTokens: true));
            JsonNode? lp = logprobs ? new JsonObject
            {
                ["content"] = LogProbJson.ChatContent(model, [token.TokenId], [token.LogProb], token.Top is null ? null : [token.Top], top),
                ["refusal"] = null,
            } : null;
            if (text.Length > 0 || lp is not null)
                await events.Send(Chunk(choice, new JsonObject { ["content"] = text }, lp, null));
            if (token.Finished is { } finished)
                await events.Send(Chunk(choice, new JsonObject(), null, ServerContext.FinishReason(finished)));
        }
        if (sampling.IncludeUsage)
            await events.Send(new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model.Id, ["system_fingerprint"] = Fingerprint,
                ["choices"] = new JsonArray(), ["usage"] = ServerContext.Usage(prompt.Length, completionTokens),
            });
        await events.Done();
    }

    public static string Fingerprint => "preflab-" + typeof(PrefLab.Runtime.TorchRuntime).Assembly.GetName().Version?.ToString(3);
}
