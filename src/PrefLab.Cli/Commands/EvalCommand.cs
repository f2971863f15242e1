using System.CommandLine;
using System.Globalization;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Reporting;
using PrefLab.Evaluation.Scorers;
using PrefLab.Evaluation.Suites;
using PrefLab.Runtime;
using PrefLab.Text.Chat;

namespace PrefLab.Cli.Commands;

/// <summary>
/// <c>preflab eval --model A [--model B ...] --suite NAME|FILE [...] [--output DIR]</c>: scores each model on the
/// suites, prints a table per category and the average with 95% bootstrap intervals (and paired deltas against the
/// first model), and writes results.json, items.jsonl, report.md and plots/ to --output. Generations are cached in
/// --cache (default OUT/cache).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "Model folder (repeat to compare; deltas are against the first).", Required = true, HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
        var labels = new Option<string[]>("--label") { Description = "A name for each --model in tables and files (default: folder names).", HelpName = "NAME" };
        var suites = new Option<string[]>("--suite")
        {
            Description = "world (with --world), or a benchmark file: GSM8K, MMLU-style JSONL/CSV, IFEval, XSTest or AlpacaEval (format detected). Repeat for several.",
            Required = true,
            HelpName = "NAME|FILE",
        };
        var format = new Option<string?>("--format") { Description = $"The benchmark format of the --suite files ({string.Join(", ", SuiteCatalog.FormatNames)}); default: detected.", HelpName = "NAME" };
        var world = new Option<string?>("--world") { Description = "Preference World folder (the world suite; gold judge for World prompts).", HelpName = "DIR" };
        var output = new Option<string?>("--output") { Description = "Write results.json, items.jsonl, report.md and plots/ here.", HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Generation cache folder (default: OUT/cache; none without --output).", HelpName = "DIR" };
        var noCache = new Option<bool>("--no-cache") { Description = "Generate everything afresh and cache nothing." };
        var limit = new Option<int?>("--limit") { Description = "At most N items of each category (the first ones): quick runs.", HelpName = "N" };
        var fewShot = new Option<int?>("--few-shot") { Description = "Few-shot examples in GSM8K and MMLU prompts (default 0 with chat prompts, 5 with --raw).", HelpName = "K" };
        var fewShotFile = new Option<string?>("--few-shot-file") { Description = "Draw few-shot examples from this file (same format) instead of the suite file.", HelpName = "FILE" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("Each model's"), HelpName = "NAME" };
        var raw = new Option<bool>("--raw") { Description = "Send prompts as plain text (base models) instead of chat messages." };
        var maxNewTokens = new Option<int?>("--max-new-tokens") { Description = "At most N new tokens a response (default per suite: world 64, GSM8K 256, XSTest 256, IFEval 512, AlpacaEval 512).", HelpName = "N" };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy decoding (default); above 0 samples.", DefaultValueFactory = _ => 0.0, HelpName = "T" };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling (with --temperature > 0).", HelpName = "P" };
        var topK = new Option<int?>("--top-k") { Description = "Top-k sampling (with --temperature > 0).", HelpName = "K" };
        var seed = new Option<long>("--seed") { Description = "Seed of sampling and few-shot draws.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var mcScoring = new Option<ChoiceScoring>("--mc-scoring") { Description = "MMLU-style files: score the option letters or the option texts.", DefaultValueFactory = _ => ChoiceScoring.Letters, HelpName = "letters|text" };
        var mcNormalization = new Option<string?>("--mc-normalization")
        {
            Description = "Multiple-choice headline: none (summed log-likelihood), token or char (per token / per character); default: world token, MMLU letters none, MMLU text char.",
            HelpName = "none|token|char",
        };
        var refusalMatch = new Option<RefusalMatch>("--refusal-match") { Description = "XSTest refusal detection: a refusal phrase at the start (XSTest's) or anywhere.", DefaultValueFactory = _ => RefusalMatch.Start, HelpName = "start|anywhere" };
        var judge = new Option<string?>("--judge") { Description = "AlpacaEval judge: a reward-model folder, or gold (the World's judge; default with --world).", HelpName = "RM_DIR|gold" };
        var resamples = new Option<int>("--bootstrap-resamples") { Description = "Resamples of every bootstrap interval.", DefaultValueFactory = _ => 2000, HelpName = "N" };
        var command = new Command("eval", "Evaluate models on the World's categories or on benchmark files; table with 95% bootstrap intervals and paired deltas.")
        {
            models, labels, suites, format, world, output, cache, noCache, limit, fewShot, fewShotFile, chatFormat, raw, maxNewTokens,
            temperature, topP, topK, seed, batchSize, mcScoring, mcNormalization, refusalMatch, judge, resamples,
        };
        command.SetAction(parse =>
        {
            string? outputDir = parse.GetValue(output);
            string? cacheDir = parse.GetValue(cache);
            bool withoutCache = parse.GetValue(noCache);
            if (withoutCache && cacheDir is not null) throw UserError.InOption("no-cache", "contradicts --cache");
            if (parse.GetValue(resamples) < 1) throw UserError.InOption("bootstrap-resamples", $"must be at least 1, not {parse.GetValue(resamples)}");
            var labelList = parse.GetValue(labels);
            var options = new EvaluationOptions
            {
                Models = parse.GetValue(models)!,
                Labels = labelList is { Length: > 0 } ? labelList : null,
                Suites = parse.GetValue(suites)!,
                Format = parse.GetValue(format) is string name ? SuiteCatalog.ParseFormat(name) : null,
                World = parse.GetValue(world),
                Limit = parse.GetValue(limit),
                FewShot = parse.GetValue(fewShot),
                FewShotFile = parse.GetValue(fewShotFile),
                ChatFormat = parse.GetValue(chatFormat),
                Raw = parse.GetValue(raw),
                MaxNewTokens = parse.GetValue(maxNewTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batchSize),
                ChoiceScoring = parse.GetValue(mcScoring),
                Normalization = Normalization(parse.GetValue(mcNormalization)),
                RefusalMatch = parse.GetValue(refusalMatch),
                Judge = parse.GetValue(judge),
                CacheDirectory = withoutCache ? null : cacheDir ?? (outputDir is null ? null : Path.Combine(outputDir, "cache")),
                Bootstrap = PrefLab.Statistics.BootstrapOptions.Default with { Resamples = parse.GetValue(resamples) },
            };
            var result = Evaluator.Run(options);
            var console = parse.InvocationConfiguration.Output;
            console.Write(ResultsTable.Scores(result));
            foreach (string line in ResultsTable.Legend(result)) console.WriteLine("  " + line);
            string details = ResultsTable.Metrics(result, briefOnly: true);
            if (details.Length > 0)
            {
                console.WriteLine();
                console.Write(details);
            }
            foreach (var suite in result.Suites)
                foreach (string note in suite.Notes) console.WriteLine($"note ({suite.Name}): {note}");
            foreach (var model in result.Models)
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model.Label}: {model.Generation.Generated} responses generated, {model.Generation.FromCache} from the cache"));
            if (outputDir is not null)
            {
                ResultsFiles.Write(result, outputDir);
                console.WriteLine($"wrote {Path.Combine(outputDir, ResultsFiles.ReportFile)}, {ResultsFiles.ResultsFile}, {ResultsFiles.ItemsFile} and {ResultsPlots.Folder}/");
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    static ChoiceNormalization? Normalization(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "none" or "raw" => ChoiceNormalization.None,
        "token" or "per-token" => ChoiceNormalization.PerToken,
        "char" or "per-char" or "character" => ChoiceNormalization.PerCharacter,
        _ => throw UserError.InOption("mc-normalization", $"must be none, token or char, not '{name}'"),
    };
}
