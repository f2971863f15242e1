using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;

namespace PrefLab.Generation.Jobs;

/// <summary>What <see cref="GenerateJob.Run"/> answers: a model folder, prompts (given, or read from a file in any
/// format the data layer reads prompts from), how to render them, and the decoding settings.</summary>
public sealed record GenerateJobOptions
{
    public required string Model { get; init; }
    /// <summary>The prompts; null when <see cref="PromptsFile"/> is given.</summary>
    public IReadOnlyList<PromptRecord>? Prompts { get; init; }
    public string? PromptsFile { get; init; }
    /// <summary>The file's format (null: detected).</summary>
    public string? PromptsFormat { get; init; }
    /// <summary>Tokenize each prompt as plain text (special tokens as the tokenizer adds them) instead of rendering a chat.</summary>
    public bool Raw { get; init; }
    /// <summary>The model's chat format (null: recognised from its tokenizer_config.json).</summary>
    public string? ChatFormat { get; init; }
    public GenerationOptions Decoding { get; init; } = new();

    /// <summary>Checks what a user can get wrong; errors name the option.</summary>
    public void Validate()
    {
        if ((Prompts is null) == (PromptsFile is null)) throw UserError.InOption("prompt", "give exactly one of --prompt and --prompts");
        if (Prompts is not null && PromptsFormat is not null) throw UserError.InOption("format", "only applies with --prompts");
        if (Raw && ChatFormat is not null) throw UserError.InOption("chat-format", "does not apply with --raw");
        if (!Directory.Exists(Model)) throw UserError.InOption("model", $"{Model}: no such folder");
        if (PromptsFile is not null && !File.Exists(PromptsFile)) throw UserError.InOption("prompts", $"{PromptsFile}: no such file");
        Decoding.Validate();
    }
}

/// <summary>The prompts, in order, and what the model generated for each.</summary>
public sealed record GenerateJobResult(IReadOnlyList<PromptRecord> Prompts, GenerationResult Generation)
{
    /// <summary>One JSON row a prompt, as <c>preflab generate</c> writes them: {"prompt", "response", "finish_reason",
    /// "tokens"[, "stop_string"][, "logprobs"]}; the prompt is its text when it is a single user turn, else its messages.</summary>
    public IEnumerable<JsonObject> Rows(bool withLogProbs)
    {
        for (int i = 0; i < Prompts.Count; i++)
        {
            var record = Prompts[i];
            var sequence = Generation[i];
            var row = new JsonObject
            {
                ["prompt"] = record.SingleUserText is string single ? JsonValue.Create(single)
                    : new JsonArray(record.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
                ["response"] = sequence.Text,
                ["finish_reason"] = sequence.FinishReason.Name(),
                ["tokens"] = new JsonArray(sequence.TokenIds.Select(t => (JsonNode)t).ToArray()),
            };
            if (sequence.StopString is string stop) row["stop_string"] = stop;
            if (withLogProbs) row["logprobs"] = new JsonArray(sequence.LogProbs.Select(p => (JsonNode)p).ToArray());
            yield return row;
        }
    }
}

/// <summary>
/// Generation from a model folder (<c>preflab generate</c>'s library entry point): a prompt is a user message rendered
/// with the model's chat format and the assistant header, unless <see cref="GenerateJobOptions.Raw"/>. Prompts are
/// decoded in batches sorted by length; the result keeps prompt order.
/// </summary>
public static class GenerateJob
{
    /// <param name="onPromptsRead">called with the number of prompts once they are read (a progress bar's total).</param>
    /// <param name="onPromptsDone">called as prompts finish, with how many finished.</param>
    public static GenerateJobResult Run(GenerateJobOptions options, Action<int>? onPromptsRead = null, Action<int>? onPromptsDone = null)
    {
        options.Validate();
        var tokenizer = TokenizerLoader.Load(options.Model);
        var records = options.Prompts ?? ReadPrompts(options.PromptsFile!, options.PromptsFormat);
        onPromptsRead?.Invoke(records.Count);
        var ids = options.Raw ? RawIds(tokenizer, records, options.PromptsFile) : ChatIds(tokenizer, records, options.ChatFormat);
        TorchRuntime.EnsureLoaded();
        using var model = CausalLM.Load(options.Model);
        var result = TextGenerator.For(model, tokenizer).Generate(ids, options.Decoding, onPromptsDone);
        return new GenerateJobResult(records, result);
    }

    static List<PromptRecord> ReadPrompts(string path, string? format)
    {
        var records = DatasetReader.ReadPrompts(path, new ReadOptions { Format = format }).ToList();
        if (records.Count == 0) throw UserError.InOption("prompts", $"{path}: holds no prompts");
        return records;
    }

    static List<int[]> ChatIds(HfTokenizer tokenizer, IReadOnlyList<PromptRecord> records, string? formatName)
    {
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, formatName));
        return records.Select(r => chat.Prompt(r.Messages)).ToList();
    }

    static List<int[]> RawIds(HfTokenizer tokenizer, IReadOnlyList<PromptRecord> records, string? path)
    {
        var ids = new List<int[]>(records.Count);
        foreach (var record in records)
        {
            string text = record.SingleUserText ?? throw (record.Origin is RowLocation at
                ? at.Error(null, "with --raw every prompt must be a single user turn (plain text)")
                : UserError.InOption("raw", "every prompt must be a single user turn"));
            var encoded = tokenizer.Encode(text, addSpecialTokens: true).ToArray();
            if (encoded.Length == 0)
                throw path is null ? UserError.InOption("prompt", "tokenizes to no tokens") : record.Origin!.Value.Error(null, "the prompt tokenizes to no tokens");
            ids.Add(encoded);
        }
        return ids;
    }
}
