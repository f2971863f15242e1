using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Algorithms.Lora;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;

namespace PrefLab.Algorithms.Sft;

public enum LanguageModelingMode { Pretrain, Sft }

/// <summary>Everything a pretraining or SFT run needs; the CLI and the lab both build one.</summary>
public sealed record SftJobOptions
{
    public required LanguageModelingMode Mode { get; init; }
    /// <summary>The model folder to start from (Hugging Face layout, with tokenizer files).</summary>
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required string Output { get; init; }
    public string? EvalData { get; init; }
    public TrainingOptions Training { get; init; } = new();
    /// <summary>Pretraining: the block size. SFT: the longest sequence.</summary>
    public int MaxLength { get; init; } = 512;
    /// <summary>SFT only: cut the tail of over-long examples (default) or drop them.</summary>
    public TruncationPolicy Truncation { get; init; } = TruncationPolicy.Truncate;
    /// <summary>SFT only: pack several examples into each row of <see cref="MaxLength"/> tokens, kept from attending
    /// to each other (segment ids); the batch size then counts rows.</summary>
    public bool Pack { get; init; }
    public string? ChatFormat { get; init; }
    /// <summary>Data format name (null: detect).</summary>
    public string? Format { get; init; }
    public bool SkipBadRows { get; init; }
    /// <summary>LoRA adapters to train instead of the whole model (null: full fine-tuning).</summary>
    public LoraConfig? Lora { get; init; }
    /// <summary>What run.json records as the options (the CLI passes the resolved command line).</summary>
    public IReadOnlyDictionary<string, object?> RecordedOptions { get; init; } = new Dictionary<string, object?>();
    /// <summary>Where compact metric lines go when no progress bar carries them.</summary>
    public TextWriter? Console { get; init; }
    /// <summary>Called after each optimizer step with the step number (progress, cancellation by throwing).</summary>
    public Action<long>? AfterStep { get; init; }
}

/// <summary>Runs pretraining (texts packed into blocks) or SFT (chat-rendered, loss on assistant tokens).</summary>
public static class SftJob
{
    public static TrainingResult Run(SftJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        string command = options.Mode == LanguageModelingMode.Pretrain ? "pretrain" : "sft";
        var tokenizer = TokenizerLoader.Load(options.Model);
        var readOptions = new ReadOptions { Format = options.Format, SkipBadRows = options.SkipBadRows };
        var dataReport = new JsonObject();
        List<TokenizedSequence> train, eval;
        int padId;
        if (options.Mode == LanguageModelingMode.Pretrain)
        {
            padId = tokenizer.PadId ?? tokenizer.EosId ?? 0;
            train = Pack(options.Data, "train", tokenizer, options, readOptions, dataReport);
            eval = options.EvalData is null ? new() : Pack(options.EvalData, "eval", tokenizer, options, readOptions, dataReport);
        }
        else
        {
            var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
            padId = chat.PadId;
            train = Render(options.Data, "train", chat, options, readOptions, dataReport);
            eval = options.EvalData is null ? new() : Render(options.EvalData, "eval", chat, options, readOptions, dataReport);
        }
        if (train.Count == 0) throw UserError.InOption("data", $"{options.Data}: no training examples left after tokenization ({dataReport.ToJsonString()})");

        options.Lora?.Validate();
        using var model = CausalLM.Load(options.Model, options.Training.Compute());
        using var adapters = LoraPolicy.Attach(model, options.Lora, options.Model, options.Training.Seed);
        var run = RunDirectory.Start(options.Output, command, options.RecordedOptions, options.Training.Seed, options.Training.Resume);
        run.Set("data", dataReport);
        run.Set("model", new JsonObject
        {
            ["from"] = Path.GetFullPath(options.Model),
            ["parameters"] = model.ParameterCount,
            ["non_embedding_parameters"] = model.NonEmbeddingParameterCount,
        });
        if (adapters is not null) run.Set("lora", LoraPolicy.Report(adapters, model));
        var objective = new SftObjective(model, train, eval, padId, options.Training.BatchSize,
            folder => LoraPolicy.Save(model, adapters, folder, options.Model, tokenizer.PadId)) { Adapters = adapters };
        var logger = new MetricsLogger(run, options.Training.Tensorboard, options.Console);
        return new Trainer(objective, options.Training, run, logger, command) { AfterStep = options.AfterStep }.Run();
    }

    static List<TokenizedSequence> Pack(string path, string split, HfTokenizer tokenizer, SftJobOptions options, ReadOptions read, JsonObject report)
    {
        var texts = DatasetReader.ReadText(path, read);
        var blocks = PretrainPacker.Pack(texts.Select(t => t.Text), tokenizer, options.MaxLength, out long tail);
        report[split] = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = texts.Report.ToJson(),
            ["blocks"] = blocks.Count,
            ["block_size"] = options.MaxLength,
            ["dropped_tail_tokens"] = tail,
        };
        return blocks;
    }

    static List<TokenizedSequence> Render(string path, string split, ChatTokenizer chat, SftJobOptions options, ReadOptions read, JsonObject report)
    {
        var examples = DatasetReader.ReadSft(path, read);
        var collation = new CollationReport();
        var sequences = new List<TokenizedSequence>();
        foreach (var example in examples)
            if (chat.Sft(example, options.MaxLength, options.Truncation, collation) is { } sequence) sequences.Add(sequence);
        var entry = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = examples.Report.ToJson(),
            ["tokenization"] = collation.ToJson(),
            ["chat_format"] = chat.Format.Name,
        };
        if (options.Pack)
        {
            sequences = SequencePacker.Pack(sequences, options.MaxLength, out var packing);
            entry["packing"] = new JsonObject
            {
                ["examples"] = packing.Examples,
                ["rows"] = packing.Rows,
                ["row_length"] = packing.RowLength,
                ["tokens"] = packing.Tokens,
                ["examples_per_row"] = Math.Round(packing.ExamplesPerRow, 3),
                ["fill"] = Math.Round(packing.Fill, 4),
            };
        }
        report[split] = entry;
        return sequences;
    }
}
