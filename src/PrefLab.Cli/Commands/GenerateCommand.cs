using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text;
using PrefLab.Data.Formats;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Generation.Jobs;
using PrefLab.Runtime.Console;
using PrefLab.Runtime;
using PrefLab.Text.Chat;

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
            string? promptText = parse.GetValue(prompt);
            var job = new GenerateJobOptions
            {
                Model = parse.GetValue(model)!,
                Prompts = promptText is null ? null : [new PromptRecord([Message.User(promptText)])],
                PromptsFile = parse.GetValue(prompts),
                PromptsFormat = parse.GetValue(format),
                Raw = parse.GetValue(raw),
                ChatFormat = parse.GetValue(chatFormat),
                Decoding = new GenerationOptions
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
                },
            };
            job.Validate();
            var clock = Stopwatch.StartNew();
            GenerateJobResult result;
            // A progress bar for more than one prompt, started once they are read (a file's count is known only then).
            IProgressTask? progress = null;
            try
            {
                result = GenerateJob.Run(job,
                    count => progress = count > 1 ? ProgressReporter.Start("generate", count, "prompt") : null,
                    done => progress?.Advance(done));
            }
            finally
            {
                progress?.Dispose();
            }

            var text = new StringBuilder();
            foreach (var row in result.Rows(parse.GetValue(logprobs))) text.Append(row.ToJsonString(Compact)).Append('\n');
            if (parse.GetValue(output) is string path)
            {
                AtomicFile.WriteAllText(path, text.ToString());
                double seconds = clock.Elapsed.TotalSeconds;
                long tokens = result.Generation.GeneratedTokens;
                parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: {result.Prompts.Count} responses, {tokens} tokens in {seconds:F1} s ({tokens / Math.Max(seconds, 1e-9):F0} tokens/s)"));
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

}
