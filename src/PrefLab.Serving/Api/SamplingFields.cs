using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Generation;

namespace PrefLab.Serving.Api;

/// <summary>The sampling fields chat and text completions share, read and checked once.</summary>
public sealed record SamplingFields(int N, double Temperature, double? TopP, long Seed, IReadOnlyList<string> Stop, int MaxTokens, bool Stream, bool IncludeUsage)
{
    public const int MaxChoices = 16;

    /// <summary>The field that set <see cref="MaxTokens"/> (max_tokens or max_completion_tokens); null when neither
    /// was given and the default applies.</summary>
    public string? MaxTokensField { get; init; }

    /// <summary>Checks that the prompts and the new tokens fit the model's context (its position count), as OpenAI's
    /// <c>context_length_exceeded</c> does. An explicit max_tokens must fit; the default shrinks to what fits.</summary>
    /// <param name="promptTokens">The longest prompt's token count.</param>
    /// <param name="promptParam">The field the prompt came from (messages, prompt).</param>
    public SamplingFields FitContext(int promptTokens, int contextLength, string promptParam)
    {
        if (promptTokens > contextLength || (promptTokens == contextLength && MaxTokens > 0 && MaxTokensField is null))
            throw ContextExceeded(promptParam, $"'{promptParam}' is {promptTokens} tokens; this model's maximum context length is {contextLength} tokens");
        if (promptTokens + MaxTokens <= contextLength) return this;
        if (MaxTokensField is null) return this with { MaxTokens = contextLength - promptTokens };
        throw ContextExceeded(MaxTokensField,
            $"This model's maximum context length is {contextLength} tokens; the prompt is {promptTokens} tokens and '{MaxTokensField}' asks for {MaxTokens} more");
    }

    static ApiError ContextExceeded(string param, string message) => ApiError.BadField(param, message, "context_length_exceeded");

    /// <param name="defaultMaxTokens">When the request sets neither max_tokens nor max_completion_tokens.</param>
    /// <param name="minMaxTokens">1, or 0 where a request may ask for no new tokens (completions with echo).</param>
    public static SamplingFields Read(RequestFields fields, int defaultMaxTokens, int limit, int minMaxTokens = 1)
    {
        string maxName = fields.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = fields.Integer(maxName, minMaxTokens, int.MaxValue) ?? Math.Min(defaultMaxTokens, limit);
        if (maxTokens > limit)
            throw ApiError.BadField(maxName, $"'{maxName}' is {maxTokens}, more than this server's limit of {limit} (preflab serve --max-tokens-limit)");
        double temperature = fields.Number("temperature", 0, 2) ?? 1.0;
        double? topP = fields.Number("top_p", 0, 1);
        if (topP == 0) throw ApiError.BadField("top_p", "'top_p' must be greater than 0");
        fields.Unsupported("frequency_penalty", IsZero, "no repetition penalties");
        fields.Unsupported("presence_penalty", IsZero, "no repetition penalties");
        fields.Unsupported("logit_bias", n => n is JsonObject o && o.Count == 0, "no logit bias");
        fields.Unsupported("best_of", n => n is JsonValue v && v.TryGetValue<int>(out int b) && b == 1, "use n");
        bool includeUsage = false;
        if (fields.Body["stream_options"] is JsonNode options)
        {
            if (options is not JsonObject o) throw RequestFields.WrongType("stream_options", "an object", options);
            includeUsage = new RequestFields(o).Bool("include_usage", false);
        }
        return new SamplingFields(
            N: fields.Integer("n", 1, MaxChoices) ?? 1,
            Temperature: temperature,
            // top_p = 1 keeps every token; greedy decoding has no distribution to cut (OpenAI ignores top_p there too).
            TopP: temperature == 0 || topP is null or 1 ? null : topP,
            Seed: ReadSeed(fields),
            Stop: fields.Strings("stop", 4),
            MaxTokens: maxTokens,
            Stream: fields.Bool("stream", false),
            IncludeUsage: includeUsage)
        {
            MaxTokensField = fields.Has(maxName) ? maxName : null,
        };
    }

    static bool IsZero(JsonNode node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() == 0;

    /// <summary>The request's seed, else a fresh one: the same seed and request give the same tokens.</summary>
    static long ReadSeed(RequestFields fields)
    {
        var node = fields.Body["seed"];
        if (node is null) return Random.Shared.NextInt64();
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out long seed)) return seed;
        throw RequestFields.WrongType("seed", "an integer", node);
    }

    /// <summary>The batch-wide decoding settings; per-sequence ones go in each <see cref="PromptRequest"/>.</summary>
    public GenerationOptions Decoding(int topLogProbs) => new()
    {
        Temperature = Temperature,
        TopP = TopP,
        TopLogProbs = topLogProbs,
        MaxNewTokens = Math.Max(MaxTokens, 1),
        Seed = Seed,
    };

    /// <summary>Choice <paramref name="index"/> of a prompt: the request's seed, the choice as the sampling key, so
    /// choices differ from one another and each is the same whatever else shares its batch.</summary>
    public PromptRequest Prompt(int[] ids, int index) =>
        new(ids) { Seed = Seed, SamplingKey = index, MaxNewTokens = MaxTokens, StopStrings = Stop };
}
