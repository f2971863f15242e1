using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using PrefLab.Data.Collation;
using PrefLab.Data.Formats;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;

namespace PrefLab.Cli.Commands;

/// <summary>
/// <c>preflab generate --model DIR (--prompt TEXT | --prompts FILE) [...]</c>: continuations as JSONL rows
/// {"prompt", "response", "finish_reason", "tokens"[, "stop_string"][, "logprobs"]}, in prompt order, to standard
/// output or (atomically) to --output. A prompt is a user message rendered with the model's chat format and the
/// assistant header, unless --raw (the text tokenized as is, special tokens added as the tokenizer adds them).
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder: config.json, safetensors, tokenizer files.", Required = true, HelpName = "DIR" };
        var prompt = new Option<string?>("--prompt") { Description = "One prompt: a user message (or, with --raw, text).", HelpName = "TEXT" };
        var prompts = new Option<string?>("--prompts")
        {
            Description = "A file of prompts, in any format the data layer reads prompts from (prompts, sft, preference formats; JSONL or Parquet).",
            HelpName = "FILE",
        };
        var format = new Option<string?>("--format") { Description = $"The --prompts file's format (default: detected): {string.Join(", ", DataFormats.Names)}.", HelpName = "NAME" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "At most this many new tokens a prompt.", DefaultValueFactory = _ => 128, HelpName = "N" };
        var minNewTokens = new Option<int>("--min-new-tokens") { Description = "No EOS before this many new tokens.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy (argmax).", DefaultValueFactory = _ => 1.0, HelpName = "T" };
        var topK = new Option<int?>("--top-k") { Description = "Sample among the K most likely tokens (ties with the K-th kept).", HelpName = "K" };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling: among the most likely tokens whose probability reaches P.", HelpName = "P" };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampling (same seed, same output).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var batchSize = new Option<int>("--batch-size") { Description = "Prompts decoded together (sorted by length; output stays in prompt order).", DefaultValueFactory = _ => 16, HelpName = "N" };
        var stop = new Option<string[]>("--stop")
        {
            Description = "Stop a response when its text contains STRING (cut before it); repeat for several.",
            HelpName = "STRING",
            AllowMultipleArgumentsPerToken = false,
        };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The model's"), HelpName = "NAME" };
        var raw = new Option<bool>("--raw") { Description = "Tokenize each prompt as plain text (special tokens as the tokenizer adds them) instead of rendering it as a chat." };
        var logprobs = new Option<bool>("--logprobs") { Description = "Add each token's log-prob under log_softmax(logits / T) (T = 1 when greedy) to the rows." };
        var keepSpecial = new Option<bool>("--keep-special-tokens") { Description = "Keep special tokens (EOS, chat markers) in the response text." };
        var output = new Option<string?>("--output") { Description = "Write the JSONL rows to FILE (atomically) instead of standard output.", HelpName = "FILE" };
        var command = new Command("generate", "Generate continuations of prompts with a model; prints JSONL {prompt, response, finish_reason, tokens}.")
        {
            model, prompt, prompts, format, maxNewTokens, minNewTokens, temperature, topK, topP, seed, batchSize, stop, chatFormat, raw,
            logprobs, keepSpecial, output,
        };
        command.SetAction(parse =>
        {
            string modelDir = parse.GetValue(model)!;
            string? promptText = parse.GetValue(prompt), promptsPath = parse.GetValue(prompts);
            bool isRaw = parse.GetValue(raw);
            if ((promptText is null) == (promptsPath is null)) throw UserError.InOption("prompt", "give exactly one of --prompt and --prompts");
            if (promptText is not null && parse.GetValue(format) is not null) throw UserError.InOption("format", "only applies with --prompts");
            if (isRaw && parse.GetValue(chatFormat) is not null) throw UserError.InOption("chat-format", "does not apply with --raw");
            if (!Directory.Exists(modelDir)) throw UserError.InOption("model", $"{modelDir}: no such folder");
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNewTokens),
                MinNewTokens = parse.GetValue(minNewTokens),
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batchSize),
                StopStrings = parse.GetValue(stop) ?? Array.Empty<string>(),
                SkipSpecialTokens = !parse.GetValue(keepSpecial),
            };
            options.Validate();

            var tokenizer = TokenizerLoader.Load(modelDir);
            var records = promptText is not null
                ? new List<PromptRecord> { new(new[] { Message.User(promptText) }) }
                : ReadPrompts(promptsPath!, parse.GetValue(format));
            var ids = isRaw ? RawIds(tokenizer, records, promptsPath) : ChatIds(tokenizer, records, parse.GetValue(chatFormat));

            TorchRuntime.EnsureLoaded();
            using var causalLM = CausalLM.Load(modelDir);
            var generator = TextGenerator.For(causalLM, tokenizer);
            var clock = Stopwatch.StartNew();
            GenerationResult result;
            using (var progress = records.Count > 1 ? ProgressReporter.Start("generate", records.Count, "prompt") : null)
                result = generator.Generate(ids, options, done => progress?.Advance(done));

            var text = new StringBuilder();
            for (int i = 0; i < records.Count; i++)
                text.Append(Row(records[i], result[i], parse.GetValue(logprobs)).ToJsonString(Compact)).Append('\n');
            if (parse.GetValue(output) is string path)
            {
                AtomicFile.WriteAllText(path, text.ToString());
                double seconds = clock.Elapsed.TotalSeconds;
                parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: {records.Count} responses, {result.GeneratedTokens} tokens in {seconds:F1} s ({result.GeneratedTokens / Math.Max(seconds, 1e-9):F0} tokens/s)"));
            }
            else
            {
                parse.InvocationConfiguration.Output.Write(text.ToString());
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static List<PromptRecord> ReadPrompts(string path, string? format)
    {
        if (!File.Exists(path)) throw UserError.InOption("prompts", $"{path}: no such file");
        var records = DatasetReader.ReadPrompts(path, new ReadOptions { Format = format }).ToList();
        if (records.Count == 0) throw UserError.InOption("prompts", $"{path}: holds no prompts");
        return records;
    }

    static List<int[]> ChatIds(HfTokenizer tokenizer, List<PromptRecord> records, string? formatName)
    {
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, formatName));
        return records.Select(r => chat.Prompt(r.Messages)).ToList();
    }

    static List<int[]> RawIds(HfTokenizer tokenizer, List<PromptRecord> records, string? path)
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

    static JsonObject Row(PromptRecord record, GeneratedSequence sequence, bool withLogProbs)
    {
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
        return row;
    }
}
