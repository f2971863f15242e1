using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Harness;
using PrefLab.Runtime;
using PrefLab.World;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// Turns <c>--suite</c> values into suites: "world" (needs <c>--world</c>), or a benchmark file whose format is
/// detected from its fields (<see cref="BenchmarkFormats.Detect"/>) unless <c>--format</c> names it. Categories must
/// be unique across the suites of one run.
/// </summary>
public static class SuiteCatalog
{
    public static readonly IReadOnlyList<string> FormatNames = ["gsm8k", "mmlu", "ifeval", "xstest", "alpaca_eval"];

    /// <summary>The format a --format name means (gsm8k, mmlu, ifeval, xstest, alpaca_eval).</summary>
    public static BenchmarkFormat ParseFormat(string name) => name.Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "gsm8k" => BenchmarkFormat.Gsm8k,
        "mmlu" or "multiple_choice" => BenchmarkFormat.MultipleChoice,
        "ifeval" => BenchmarkFormat.IfEval,
        "xstest" or "refusal" => BenchmarkFormat.Refusal,
        "alpaca_eval" or "alpacaeval" => BenchmarkFormat.AlpacaEval,
        _ => throw UserError.InOption("format", $"unknown benchmark format '{name}' (known: {string.Join(", ", FormatNames)})"),
    };

    public static IReadOnlyList<EvaluationSuite> Open(EvaluationOptions options)
    {
        WorldInstance? world = null;
        WorldInstance World() => world ??= WorldInstance.Load(options.World!);
        var suites = new List<EvaluationSuite>();
        try
        {
            foreach (string value in options.Suites)
            {
                if (value == WorldSuite.SuiteName)
                {
                    if (options.World is null) throw UserError.InOption("world", "the world suite needs --world DIR (a folder made by `preflab world generate`)");
                    suites.Add(new WorldSuite(World(), options.Limit, options.Normalization));
                    continue;
                }
                if (!File.Exists(value))
                    throw UserError.InOption("suite", Directory.Exists(value)
                        ? $"{value} is a folder; give a benchmark file (repeat --suite for several)"
                        : $"'{value}' is neither a suite name (world) nor an existing file");
                var format = options.Format ?? BenchmarkFormats.Detect(value);
                suites.Add(format switch
                {
                    BenchmarkFormat.Gsm8k => new Gsm8kSuite(value, options),
                    BenchmarkFormat.MultipleChoice => new MultipleChoiceSuite(value, options),
                    BenchmarkFormat.IfEval => new IfEvalSuite(value, options),
                    BenchmarkFormat.Refusal => new RefusalSuite(value, options),
                    BenchmarkFormat.AlpacaEval => new AlpacaEvalSuite(value, options, Judge(value, options, World)),
                    _ => throw new ArgumentOutOfRangeException(nameof(options), format, null),
                });
            }
            RequireDistinctCategories(suites);
            return suites;
        }
        catch
        {
            foreach (var suite in suites) suite.Dispose();
            throw;
        }
    }

    static IResponseJudge Judge(string path, EvaluationOptions options, Func<WorldInstance> world)
    {
        if (options.Judge is string judge && judge != EvaluationOptions.GoldJudge)
            return new RewardModelJudge(judge, options.ChatFormat, options.BatchSize);
        if (options.World is null)
            throw UserError.InOption("judge", $"{path} is an AlpacaEval file: give a reward model to judge with (--judge RM_DIR), or --world DIR when its instructions are World prompts");
        var instance = world();
        if (options.Judge is null)
        {
            var file = AlpacaEvalReader.Read(path);
            var foreign = file.Items.FirstOrDefault(item => !instance.Judge.Knows(item.Instruction));
            if (foreign is not null)
                throw UserError.InOption("judge", $"{path}: item {foreign.Id}'s instruction is not a prompt of the World in --world, so the gold judge cannot score it; give --judge RM_DIR");
        }
        return new GoldResponseJudge(instance);
    }

    static void RequireDistinctCategories(IReadOnlyList<EvaluationSuite> suites)
    {
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var suite in suites)
            foreach (string category in suite.Categories)
                if (!owner.TryAdd(category, suite.Source))
                    throw UserError.InOption("suite", $"category '{category}' comes from both {owner[category]} and {suite.Source}; evaluate them in separate runs");
    }
}
