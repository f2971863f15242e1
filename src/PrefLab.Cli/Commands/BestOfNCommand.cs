using System.CommandLine;
using System.Globalization;
using System.Text;
using PrefLab.Algorithms.BestOfN;
using PrefLab.Data.Formats;
using PrefLab.Data.Reading;
using PrefLab.Generation;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab bon</c>: best-of-N sampling with a reward model.</summary>
public static class BestOfNCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "Policy folder (causal LM with tokenizer files) to sample from.", Required = true, HelpName = "DIR" };
        var rewardModel = new Option<string[]>("--reward-model") { Description = "Reward model folder (its stored normalisation, if any, is applied to the written rewards). Repeat for an ensemble: each member's normalised reward, combined by --ensemble.", Required = true, HelpName = "DIR" };
        var ensemble = new Option<string?>("--ensemble") { Description = "How an ensemble's (repeated --reward-model) normalised rewards combine: mean (default), min, or weights (with --ensemble-weights).", HelpName = "mean|min|weights" };
        var ensembleWeights = new Option<string?>("--ensemble-weights") { Description = "With --ensemble weights: one non-negative weight per --reward-model, comma-separated.", HelpName = "W1,W2,..." };
        var prompts = new Option<string>("--prompts") { Description = "Prompts (any format with prompts: prompt sets, SFT or preference files).", Required = true, HelpName = "FILE" };
        var n = new Option<int>("--n") { Description = "Samples per prompt.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var output = new Option<string>("--output") { Description = "Folder for samples.jsonl (all N with rewards), best.jsonl (the pick per prompt) and summary.json.", Required = true, HelpName = "DIR" };
        var reportN = new Option<string>("--report-n") { Description = "The k of best-of-k to report, comma-separated, each at most --n (all from the same samples; k larger than --n are left out of the default).", DefaultValueFactory = _ => "1,4,16", HelpName = "K,K,..." };
        var world = new Option<string?>("--world") { Description = "A Preference World folder: score every sample with the gold judge; report the pick's mean gold score per category.", HelpName = "DIR" };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (default: the paper's 0.7).", DefaultValueFactory = _ => 0.7, HelpName = "T" };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling.", HelpName = "P" };
        var topK = new Option<int?>("--top-k") { Description = "Sample among the K most likely tokens.", HelpName = "K" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "At most this many new tokens a sample.", DefaultValueFactory = _ => 128, HelpName = "N" };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampling and the bootstrap.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences generated and scored together.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var maxPrompts = new Option<int?>("--max-prompts") { Description = "Use only the first N prompts of the file.", HelpName = "N" };
        var format = new Option<string?>("--format") { Description = $"The prompts file's format (default: detected): {string.Join(", ", DataFormats.Names)}.", HelpName = "NAME" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The policy's"), HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object." };
        var command = new Command("bon", "Best-of-N: sample N responses per prompt, keep the reward model's top one; report best-of-k for several k from the same samples (on a World: the pick's gold score per category).")
        {
            policy, rewardModel, ensemble, ensembleWeights, prompts, n, output, reportN, world, temperature, topP, topK, maxNewTokens, seed, batchSize, maxPrompts, format, chatFormat, json,
        };
        command.SetAction(parse =>
        {
            int samples = parse.GetValue(n);
            var ks = ParseKs(parse.GetValue(reportN)!);
            // The default list is trimmed to --n; an explicit k above --n is an error.
            if (parse.GetResult(reportN) is not { Implicit: false }) ks = ks.Where(k => k <= samples).DefaultIfEmpty(samples).ToList();
            if (parse.GetValue(maxPrompts) is int m && m < 1) throw UserError.InOption("max-prompts", $"must be at least 1, not {m}");
            var rewardModels = parse.GetValue(rewardModel)!.Select(rm => CommandPaths.ExistingFolder(rm, "reward-model")).ToList();
            var rule = EnsembleOptions.Rule(parse.GetValue(ensemble), parse.GetValue(ensembleWeights), rewardModels.Count);
            var result = BestOfNJob.Run(new BestOfNOptions
            {
                Policy = CommandPaths.ExistingFolder(parse.GetValue(policy)!, "policy"),
                RewardModel = rewardModels[0],
                AdditionalRewardModels = rewardModels.Skip(1).ToList(),
                Ensemble = rule,
                Prompts = CommandPaths.ExistingFile(parse.GetValue(prompts)!, "prompts"),
                Output = parse.GetValue(output)!,
                N = samples,
                ReportN = ks,
                World = parse.GetValue(world) is { } w ? CommandPaths.ExistingFolder(w, "world") : null,
                Generation = new GenerationOptions
                {
                    Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), TopK = parse.GetValue(topK),
                    MaxNewTokens = parse.GetValue(maxNewTokens), Seed = parse.GetValue(seed), BatchSize = parse.GetValue(batchSize),
                },
                ChatFormat = parse.GetValue(chatFormat),
                Read = new ReadOptions { Format = parse.GetValue(format) },
                Scoring = new RewardModelOptions { BatchSize = parse.GetValue(batchSize) },
                MaxPrompts = parse.GetValue(maxPrompts),
                Bootstrap = new PrefLab.Statistics.BootstrapOptions { Seed = parse.GetValue(seed) },
            });
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) writer.WriteLine(result.ToJson().ToJsonString(JsonOptions.Compact));
            else writer.Write(Text(result));
            return CliApp.ExitOk;
        });
        return command;
    }

    static List<int> ParseKs(string text)
    {
        var ks = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            ks.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1
                ? k : throw UserError.InOption("report-n", $"'{part}' is not a positive whole number"));
        return ks;
    }

    static string F(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);

    static string Text(BestOfNResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"bon: {result.Prompts} prompts x {result.N} samples ({result.WithoutEos} without EOS, {result.Unscored} too long to score); summary over {result.PromptsInSummary} prompts");
        foreach (var k in result.ByK)
        {
            text.Append($"  best-of-{k.K,-3} reward {F(k.Reward.Mean)} [{F(k.Reward.Lower)}, {F(k.Reward.Upper)}]");
            if (k.Gold is { } gold) text.Append($"   gold {F(gold.Mean)} [{F(gold.Lower)}, {F(gold.Upper)}]   gold-oracle pick {F(k.GoldOracle!.Value.Mean)}");
            text.AppendLine();
        }
        if (result.ByK.Count > 0 && result.ByK[0].Gold is not null)
        {
            var categories = result.ByK[0].GoldByCategory.Keys.ToList();
            int width = Math.Max(12, categories.Max(c => c.Length) + 2);
            text.AppendLine("  gold score of the pick by category (" + result.PromptsWithGold + " World prompts):");
            text.AppendLine("    " + "".PadRight(width) + string.Concat(result.ByK.Select(k => $"k={k.K}".PadRight(9))));
            foreach (string category in categories)
                text.AppendLine("    " + category.PadRight(width) + string.Concat(result.ByK.Select(k => F(k.GoldByCategory[category]).PadRight(9))));
        }
        text.AppendLine($"written: {result.SamplesFile}, {result.BestFile}, {result.SummaryFile}");
        return text.ToString();
    }
}
