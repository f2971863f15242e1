using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Store;
using PrefLab.Statistics;
using PrefLab.World;

namespace PrefLab.Lab.Report;

/// <summary>One of the paper's findings as this run can test it: the comparison, its paired 95% interval, and
/// whether it <see cref="PaperFindings.Reproduces"/>, is <see cref="PaperFindings.Reversed"/>, or shows no
/// detectable effect. A finding the grid cannot test has no estimate and says why.</summary>
public sealed record FindingCheck(string Finding, string Comparison, Estimate? Difference, string Outcome);

/// <summary>
/// The findings of Ivison et al. (2024) that a lab grid can test, each in the paper's direction (positive = as the
/// paper found): better-labelled preference data gives a better reward model and a better policy (under DPO and
/// under PPO); PPO beats DPO on the same data; a larger reward model gives a better PPO policy; in-domain prompts
/// help PPO in their domain. "Better-labelled" is the World's own measure, each dataset's agreement with the gold
/// judge (world.json), so no level order is assumed.
/// </summary>
public static class PaperFindings
{
    public const string Reproduces = "reproduces";
    public const string Reversed = "reversed";
    public const string NotTested = "not tested";

    internal static IReadOnlyList<FindingCheck> Compute(ReportContext context, InstrumentFigures instrument)
    {
        var configs = context.Configs;
        var book = context.Book;
        var checks = new List<FindingCheck>();
        var quality = DatasetQuality(context);
        var ranked = quality.OrderByDescending(p => p.Value).Select(p => p.Key).ToList();
        string? better = ranked.Count >= 2 ? ranked[0] : null, worse = ranked.Count >= 2 ? ranked[^1] : null;
        string dataPair = better is null ? "" : $"{better} ({quality[better]:F2} agreement with gold) − {worse} ({quality[worse!]:F2})";

        // 1. Data: the reward model, then the policy under each algorithm.
        const string dataFinding = "Better preference data gives a better reward model";
        var rmDifference = better is null ? null : instrument.RewardModelDifferences?.Select(d => Oriented(d, instrument, better, worse!)).FirstOrDefault(d => d is not null);
        checks.Add(rmDifference is { } rmd
            ? Check(dataFinding, $"gold agreement, RM on {dataPair}", rmd)
            : Untested(dataFinding, better is null ? "needs two datasets of known label quality (World datasets)" : "needs a reward model trained on each dataset, evaluated on the same pairs"));
        foreach (string type in new[] { "dpo", "ppo" })
        {
            string finding = $"Better preference data gives a better policy ({type.ToUpperInvariant()})";
            var pair = better is null ? null : SameButData(configs, type, better, worse!);
            checks.Add(pair is var (a, b)
                ? Check(finding, $"{a.Labels.Algorithm}: {dataPair}", Difference(book, a, b, null))
                : Untested(finding, $"needs {type} runs on two datasets of known label quality"));
        }

        // 2. PPO beats DPO on the same data (the paper's largest algorithmic effect).
        const string algorithmFinding = "PPO beats DPO on the same data";
        var dpoPpo = configs.All.Where(c => c.Algorithm == "ppo" && c.Labels.Data is not null)
            .Select(p => (Ppo: p, Dpo: configs.All.FirstOrDefault(d => d.Algorithm == "dpo" && d.Labels.Data == p.Labels.Data)))
            .Where(p => p.Dpo is not null)
            .OrderBy(p => configs.Rank(Factors.Data, p.Ppo.Labels.Data)).ThenBy(p => configs.Rank(Factors.RewardModel, p.Ppo.Labels.RewardModel))
            .ThenBy(p => configs.Rank(Factors.Prompts, p.Ppo.Labels.Prompts))
            .GroupBy(p => p.Ppo.Labels.Data).Select(g => g.First()).ToList();
        if (dpoPpo.Count == 0) checks.Add(Untested(algorithmFinding, "needs dpo and ppo runs on the same dataset"));
        foreach (var (ppo, dpo) in dpoPpo)
            checks.Add(Check(algorithmFinding, $"{ppo.Labels.Data}: ppo (RM {ppo.Labels.RewardModel}, prompts {ppo.Labels.Prompts}) − dpo",
                Difference(book, ppo, dpo!, null)));

        // 3. A larger reward model gives a better PPO policy.
        const string sizeFinding = "A larger reward model gives a better PPO policy";
        var sizes = RewardModelSizes(context);
        var bySize = configs.All.Where(c => c.Algorithm == "ppo" && c.Labels.RewardModel is { } rm && sizes.ContainsKey(rm)).ToList();
        var sizePair = bySize.SelectMany(large => bySize.Where(small => sizes[small.Labels.RewardModel!] < sizes[large.Labels.RewardModel!]
                && small.Labels.Data == large.Labels.Data && small.Labels.Prompts == large.Labels.Prompts).Select(small => (large, small)))
            .OrderBy(p => configs.Rank(Factors.Data, p.large.Labels.Data)).FirstOrDefault();
        checks.Add(sizePair.large is not null
            ? Check(sizeFinding, $"ppo on {sizePair.large.Labels.Data}: RM {sizePair.large.Labels.RewardModel} ({Millions(sizes[sizePair.large.Labels.RewardModel!])}) − " +
                $"RM {sizePair.small.Labels.RewardModel} ({Millions(sizes[sizePair.small.Labels.RewardModel!])})", Difference(book, sizePair.large, sizePair.small, null))
            : Untested(sizeFinding, "needs PPO with trained reward models of two sizes on the same data (`demo --large-reward-model` adds one)"));

        // 4. In-domain prompts help PPO in their domain.
        const string promptFinding = "In-domain prompts help PPO in their domain";
        var defaultPrompts = configs.Baseline(Factors.Prompts, configs.All.Where(c => c.Labels.Prompts is not null).Select(c => c.Labels.Prompts!).DefaultIfEmpty("—"));
        var promptPairs = configs.All.Where(c => c.Algorithm == "ppo" && c.Labels.Prompts is { } p && p != defaultPrompts)
            .Select(c => (Domain: c, Mixed: configs.All.FirstOrDefault(m => m.Algorithm == "ppo" && m.Labels.Prompts == defaultPrompts
                && m.Labels.Data == c.Labels.Data && m.Labels.RewardModel == c.Labels.RewardModel)))
            .Where(p => p.Mixed is not null).ToList();
        if (promptPairs.Count == 0) checks.Add(Untested(promptFinding, "needs PPO on a domain's prompts beside the default prompts, the rest alike"));
        foreach (var (domain, mixed) in promptPairs)
        {
            // The domain is the category the prompt set is named for; a set named otherwise is compared on the average.
            string? category = book.CommonItems([domain, mixed!]).Categories.FirstOrDefault(c => c == domain.Labels.Prompts);
            checks.Add(Check(promptFinding, $"ppo (RM {domain.Labels.RewardModel} on {domain.Labels.Data}) on {category ?? "average"}: prompts " +
                $"{domain.Labels.Prompts} − {defaultPrompts}", Difference(book, domain, mixed!, category)));
        }
        return checks;
    }

    static Estimate? Difference(ScoreBook book, Config first, Config second, string? category)
    {
        var items = book.CommonItems([first, second]);
        return items.Count == 0 ? null : book.Difference(first, second, items, category);
    }

    static FindingCheck Check(string finding, string comparison, Estimate? difference) =>
        difference is { } d ? new FindingCheck(finding, comparison, d, d.Lower > 0 ? Reproduces : d.Upper < 0 ? Reversed : ReportFormat.NoEffect)
            : Untested(finding, "the two have no evaluation items in common");

    static FindingCheck Untested(string finding, string why) => new(finding, why, null, NotTested);

    /// <summary>A reward-model difference between the RMs of one level trained on <paramref name="better"/> and on
    /// <paramref name="worse"/>, as better − worse; null for any other pair.</summary>
    static Estimate? Oriented(RewardModelDifference d, InstrumentFigures instrument, string better, string worse)
    {
        var first = instrument.RewardModels.FirstOrDefault(r => r.Label == d.First);
        var second = instrument.RewardModels.FirstOrDefault(r => r.Label == d.Second);
        if (first is null || second is null || first.RewardModel != second.RewardModel) return null;
        if (first.Dataset == better && second.Dataset == worse) return d.Difference;
        if (first.Dataset == worse && second.Dataset == better)
            return d.Difference with { Mean = -d.Difference.Mean, Lower = -d.Difference.Upper, Upper = -d.Difference.Lower };
        return null;
    }

    /// <summary>The configuration pair (on better, on worse) of one algorithm type, alike in every other factor.</summary>
    static (Config, Config)? SameButData(ConfigSet configs, string type, string better, string worse)
    {
        foreach (var a in configs.All.Where(c => c.Algorithm == type && c.Labels.Data == better)
                     .OrderBy(c => configs.Rank(Factors.RewardModel, c.Labels.RewardModel)).ThenBy(c => configs.Rank(Factors.Prompts, c.Labels.Prompts)))
        {
            var b = configs.All.FirstOrDefault(c => c.Algorithm == type && c.Labels.Data == worse && c.Labels.Algorithm == a.Labels.Algorithm
                && c.Labels.RewardModel == a.Labels.RewardModel && c.Labels.Prompts == a.Labels.Prompts);
            if (b is not null) return (a, b);
        }
        return null;
    }

    /// <summary>Each data level's agreement with gold as the World measured it, for levels that name a World dataset
    /// (<c>world:NAME</c>, unbinarized); empty without a World.</summary>
    static Dictionary<string, double> DatasetQuality(ReportContext context)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (context.WorldFolder is not { } world) return result;
        var datasets = JsonNode.Parse(File.ReadAllText(Path.Combine(world, WorldManifest.FileName)))?["datasets"] as JsonObject;
        foreach (string level in context.Store.LevelOrder(Factors.Data))
        {
            if (context.Store.LevelDefinition(Factors.Data, level) is not { } definition) continue;
            var node = JsonNode.Parse(definition);
            string? file = node is JsonValue v && v.TryGetValue(out string? text) ? text
                : node is JsonObject o && o.Count == 1 ? o["file"]?.GetValue<string>() : null;
            if (file is null || !file.StartsWith("world:", StringComparison.Ordinal)) continue;
            if (datasets?[file["world:".Length..]]?["agreement"]?["measured"]?.GetValue<double>() is double measured) result[level] = measured;
        }
        return result;
    }

    /// <summary>Each trained reward-model level's parameter count (from its training run's run.json).</summary>
    static Dictionary<string, long> RewardModelSizes(ReportContext context)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var run in context.Configs.Runs.Where(r => r.RewardModelNode is not null && r.Labels.RewardModel is not null))
        {
            if (sizes.ContainsKey(run.Labels.RewardModel!) || context.Store.Node(run.RewardModelNode!) is not { } node) continue;
            string runJson = Path.Combine(context.NodeFolder(node), "run.json");
            if (!File.Exists(runJson)) continue;
            if (JsonNode.Parse(File.ReadAllText(runJson))?["model"]?["parameters"]?.GetValue<long>() is long parameters) sizes[run.Labels.RewardModel!] = parameters;
        }
        return sizes;
    }

    static string Millions(long parameters) => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e6:0.#}M parameters");

    public static string ToMarkdown(IReadOnlyList<FindingCheck> checks)
    {
        if (checks.Count == 0) return "";
        var text = new StringBuilder("## The paper's findings on this run\n\n");
        text.Append("Each finding of Ivison et al. (2024) that this grid can test, as a difference in the paper's direction (positive: as the paper " +
            "found), paired by item (by pair for reward models), with its 95% interval: `reproduces` when the interval is above 0, `reversed` when " +
            $"below, `{ReportFormat.NoEffect}` when it spans 0. Read it with the instrument above: a comparison through a component that did not learn " +
            "measures that component.\n\n");
        text.Append(ReportFormat.Table(["the paper's finding", "comparison on this run", "difference", "here"],
            checks.Select(c => (IReadOnlyList<string>)[c.Finding, c.Comparison, c.Difference is { } d ? ReportFormat.Delta(d) : "—", c.Outcome])));
        return text.ToString();
    }

    public static JsonArray ToJson(IReadOnlyList<FindingCheck> checks) => new(checks.Select(c => (JsonNode?)new JsonObject
    {
        ["finding"] = c.Finding, ["comparison"] = c.Comparison,
        ["difference"] = c.Difference is { } d ? InstrumentFigures.ToJson(d) : null, ["outcome"] = c.Outcome,
    }).ToArray());
}
