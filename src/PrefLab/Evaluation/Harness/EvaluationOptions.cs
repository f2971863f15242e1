using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Scorers;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Harness;

/// <summary>How multiple-choice files (MMLU style) present the options to the model.</summary>
public enum ChoiceScoring
{
    /// <summary>The prompt lists the options as "A. ...", "B. ..." and ends "Answer:"; the continuations " A", " B",
    /// ... are scored (MMLU's protocol; the normalisation does not matter for one-token letters).</summary>
    Letters,

    /// <summary>The same prompt; the continuations are " " + each option's text (ARC/TruthfulQA-MC style).</summary>
    Text,
}

/// <summary>
/// Everything <see cref="Evaluator.Run"/> needs. Option names follow <c>preflab eval</c>'s; a bad value is a
/// <see cref="UserError"/> naming the option.
/// </summary>
public sealed record EvaluationOptions
{
    /// <summary>Model folders (Hugging Face layout with tokenizer files). Deltas are against the first.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Labels for the models in tables and files (default: the folder names, made unique).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Suites: "world", or benchmark files (format detected, or <see cref="Format"/>).</summary>
    public IReadOnlyList<string> Suites { get; init; } = [];

    /// <summary>The format of every file suite, overriding detection.</summary>
    public BenchmarkFormat? Format { get; init; }

    /// <summary>The Preference World folder (needed by the world suite and by the gold judge).</summary>
    public string? World { get; init; }

    /// <summary>At most this many items of each category (the first ones, in file order); null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Few-shot examples in GSM8K and multiple-choice prompts; null for the default: 0 for chat prompts,
    /// 5 for raw prompts (lm-eval-harness's GSM8K and MMLU settings).</summary>
    public int? FewShot { get; init; }

    /// <summary>Where few-shot examples come from (the same format as the suite file); null: the suite file itself,
    /// never the target question.</summary>
    public string? FewShotFile { get; init; }

    /// <summary>The chat format (default: recognised from each model's tokenizer_config.json).</summary>
    public string? ChatFormat { get; init; }

    /// <summary>Send prompts as plain text (tokenized with the tokenizer's special tokens) instead of chat messages.</summary>
    public bool Raw { get; init; }

    /// <summary>At most this many new tokens a response; null for each suite's default (world 64, GSM8K 256,
    /// XSTest 256, IFEval 512, AlpacaEval 512).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>0 for greedy decoding (the default), else the sampling temperature.</summary>
    public double Temperature { get; init; }

    public double? TopP { get; init; }
    public int? TopK { get; init; }

    /// <summary>Seed of sampling and of few-shot draws.</summary>
    public long Seed { get; init; }

    /// <summary>Sequences a forward pass handles (generation and log-likelihood batches).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>MMLU-style files: letters (default) or option texts as continuations.</summary>
    public ChoiceScoring ChoiceScoring { get; init; } = ChoiceScoring.Letters;

    /// <summary>The multiple-choice headline's normalisation; null for each suite's default (world: per token;
    /// MMLU letters: none; MMLU texts: per character, lm-eval's acc_norm). All three are always reported.</summary>
    public ChoiceNormalization? Normalization { get; init; }

    /// <summary>XSTest refusal detection: a refusal phrase at the start (XSTest's string match) or anywhere.</summary>
    public RefusalMatch RefusalMatch { get; init; } = RefusalMatch.Start;

    /// <summary>AlpacaEval judge: a reward-model folder, or "gold" for the World's gold judge (the default when
    /// <see cref="World"/> is given and every instruction is a World prompt).</summary>
    public string? Judge { get; init; }

    /// <summary>Where generations are cached (null: no cache).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Resampling settings of every interval.</summary>
    public BootstrapOptions Bootstrap { get; init; } = BootstrapOptions.Default;

    /// <summary>Show progress bars (<see cref="Runtime.Console.ProgressReporter"/>).</summary>
    public bool ShowProgress { get; init; } = true;

    /// <summary>Makes the response generator for a loaded model; null uses <see cref="Generation.TextGenerator"/>.
    /// A seam for tests (counting calls) and other decoders.</summary>
    public ResponseGeneratorFactory? GeneratorFactory { get; init; }

    public const string GoldJudge = "gold";

    /// <summary>The greedy flag of the decoding settings.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>The few-shot count in effect.</summary>
    public int FewShotCount => FewShot ?? (Raw ? 5 : 0);

    /// <summary>Throws a <see cref="UserError"/> naming the option for a value out of range or a missing input.</summary>
    public void Validate()
    {
        if (Models.Count == 0) throw UserError.InOption("model", "give at least one model folder");
        foreach (string model in Models)
            if (!Directory.Exists(model)) throw UserError.InOption("model", $"folder not found: {model}");
        if (Labels is not null && Labels.Count != Models.Count)
            throw UserError.InOption("label", $"give one label per model ({Models.Count} models, {Labels.Count} labels)");
        if (Suites.Count == 0) throw UserError.InOption("suite", "give a suite: world or a benchmark file");
        if (World is not null && !Directory.Exists(World)) throw UserError.InOption("world", $"folder not found: {World}");
        if (Limit is int limit && limit < 1) throw UserError.InOption("limit", $"must be at least 1, not {limit}");
        if (FewShot is int k && k < 0) throw UserError.InOption("few-shot", $"must be 0 or more, not {k}");
        if (FewShotFile is not null && !File.Exists(FewShotFile)) throw UserError.InOption("few-shot-file", $"file not found: {FewShotFile}");
        if (Raw && ChatFormat is not null) throw UserError.InOption("chat-format", "does not apply with --raw");
        if (MaxNewTokens is int n && n < 1) throw UserError.InOption("max-new-tokens", $"must be at least 1, not {n}");
        if (BatchSize < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {BatchSize}");
        if (Judge is not null && Judge != GoldJudge && !Directory.Exists(Judge))
            throw UserError.InOption("judge", $"folder not found: {Judge} (give a reward-model folder or \"gold\")");
        if (Judge == GoldJudge && World is null) throw UserError.InOption("judge", "\"gold\" needs --world DIR");
        // The decoding options check themselves (temperature, top-k/top-p with greedy, ...).
        DecodingFor(1, []).Validate();
    }

    /// <summary>The generator settings for a request with the suite's default length and stop strings.</summary>
    public Generation.GenerationOptions DecodingFor(int suiteMaxNewTokens, IReadOnlyList<string> stopStrings) => new()
    {
        MaxNewTokens = MaxNewTokens ?? suiteMaxNewTokens,
        Temperature = Temperature,
        TopP = TopP,
        TopK = TopK,
        Seed = Seed,
        BatchSize = BatchSize,
        StopStrings = stopStrings,
        SkipSpecialTokens = true,
    };
}
