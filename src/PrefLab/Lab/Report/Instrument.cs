using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Store;
using PrefLab.Runtime;
using PrefLab.Statistics;
using PrefLab.World.Responders;
using PrefLab.World;

namespace PrefLab.Lab.Report;

/// <summary>A reward model's agreement with the gold judge on the World's held-out pairs, overall and per category.</summary>
public sealed record RewardModelAgreement(string Label, string RewardModel, string? Dataset, Estimate Agreement, IReadOnlyDictionary<string, Estimate> ByCategory);

/// <summary>Two reward models' gold agreement on the same held-out pairs: <paramref name="First"/> minus
/// <paramref name="Second"/>, paired by pair (one pair draw serves both), over the pairs both scored.</summary>
public sealed record RewardModelDifference(string First, string Second, int Pairs, Estimate Difference);

/// <summary>A policy configuration's average score and its difference from the SFT policy's, paired by item.</summary>
/// <param name="Algorithm">The grid's level name (<c>bon4</c>, <c>dpo</c>, ...).</param>
/// <param name="Type">The level's algorithm type (<c>best-of-n</c>, <c>dpo</c>, <c>ppo</c>, ...); the level name when not given.</param>
public sealed record PolicyUplift(string Algorithm, string? Data, string? RewardModel, string? Prompts, IReadOnlyList<long> Seeds, Estimate Score, Estimate Uplift,
    string? Type = null)
{
    public string TypeName => Type ?? Algorithm;
}

/// <summary>Whether this run's components learned enough for one of the paper's questions to be answered, and why.</summary>
public sealed record QuestionStatus(string Question, string Title, bool Answerable, string Why);

/// <summary>
/// How competent every trained component of a lab run is against the World's own references — the instrument the
/// study measures with: the SFT policy beside the demonstrator (whose answers it was fine-tuned on) and the expert
/// responder on the same items; the pretraining loss; each reward model's gold agreement on held-out pairs; each
/// policy's uplift over SFT (PPO with the gold judge is the ceiling any reward model can approach at this budget);
/// and, for each of the four questions, whether the run can answer it. All intervals are 95%.
/// </summary>
public sealed record InstrumentFigures(
    IReadOnlyList<long> Seeds,
    Estimate? Sft,
    Estimate? Demonstrator,
    Estimate? Expert,
    int Items,
    double? PretrainLoss,
    double? PretrainEvalLoss,
    IReadOnlyList<RewardModelAgreement> RewardModels,
    IReadOnlyList<PolicyUplift> Uplifts,
    IReadOnlyList<QuestionStatus> Questions,
    IReadOnlyList<RewardModelDifference>? RewardModelDifferences = null)
{
    /// <summary>Why the World's demonstrator and expert could not be scored (their World cannot be read), or null.</summary>
    public string? ReferencesMissing { get; init; }

    public static JsonObject ToJson(Estimate e) => new() { ["mean"] = e.Mean, ["lower"] = e.Lower, ["upper"] = e.Upper, ["n"] = e.N };

    static JsonNode? ToJson(Estimate? e) => e is { } value ? ToJson(value) : null;

    public JsonObject ToJson()
    {
        var agreement = new JsonObject();
        foreach (var rm in RewardModels)
        {
            var entry = ToJson(rm.Agreement);
            var byCategory = new JsonObject();
            foreach (var (category, estimate) in rm.ByCategory) byCategory[category] = ToJson(estimate);
            entry["by_category"] = byCategory;
            agreement[rm.Label] = entry;
        }
        var uplifts = new JsonArray();
        foreach (var u in Uplifts)
        {
            var entry = new JsonObject
            {
                ["algorithm"] = u.Algorithm, ["type"] = u.TypeName, ["data"] = u.Data, ["reward_model"] = u.RewardModel, ["prompts"] = u.Prompts,
                ["mean"] = u.Uplift.Mean, ["lower"] = u.Uplift.Lower, ["upper"] = u.Uplift.Upper,
                ["seeds"] = new JsonArray(u.Seeds.Select(s => (JsonNode?)s).ToArray()),
                ["score"] = ToJson(u.Score),
            };
            uplifts.Add(entry);
        }
        return new JsonObject
        {
            ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode?)s).ToArray()),
            ["items"] = Items,
            ["sft"] = ToJson(Sft),
            ["demonstrator"] = ToJson(Demonstrator),
            ["expert"] = ToJson(Expert),
            ["pretrain"] = new JsonObject { ["final_train_loss"] = PretrainLoss, ["eval_loss"] = PretrainEvalLoss },
            ["rm_agreement"] = agreement,
            ["rm_agreement_differences"] = new JsonArray((RewardModelDifferences ?? []).Select(d =>
            {
                var entry = ToJson(d.Difference);
                entry["first"] = d.First;
                entry["second"] = d.Second;
                entry["pairs"] = d.Pairs;
                return (JsonNode?)entry;
            }).ToArray()),
            ["uplift_vs_sft"] = uplifts,
            ["questions"] = new JsonArray(Questions.Select(q => (JsonNode?)new JsonObject
            {
                ["question"] = q.Question, ["answerable"] = q.Answerable, ["why"] = q.Why,
            }).ToArray()),
        };
    }
}

/// <summary>Computes <see cref="InstrumentFigures"/> from a lab's store (and its World folder) and writes the report's section.</summary>
public static class Instrument
{
    /// <summary>The reference responders' answers are drawn with this seed (any fixed one: they are the World's, not a run's).</summary>
    public const long ReferenceSeed = 0;

    internal static InstrumentFigures Compute(ReportContext context)
    {
        var configs = context.Configs;
        var book = context.Book;
        var seeds = configs.Runs.Select(r => r.Seed).Distinct().Order().ToList();
        var sft = configs.All.Where(c => c.Algorithm == "sft").OrderBy(c => configs.Rank(Grid.Factors.Data, c.Labels.Data)).FirstOrDefault();

        Estimate? sftScore = null, demonstrator = null, expert = null;
        string? referencesMissing = null;
        int itemCount = 0;
        var uplifts = new List<PolicyUplift>();
        if (sft is not null)
        {
            var items = book.CommonItems([sft]);
            itemCount = items.Count;
            if (items.Count > 0)
            {
                sftScore = book.Mean(sft, items, null);
                (var world, referencesMissing) = LoadWorld(context);
                if (world is not null)
                {
                    demonstrator = ReferenceScore(book, world, ResponderProfile.Demonstrator, items);
                    expert = ReferenceScore(book, world, ResponderProfile.Expert, items);
                }
            }
            foreach (var config in configs.All.Where(c => c.Algorithm != "sft")
                         .OrderBy(c => configs.Rank(Grid.Factors.Algorithm, c.Labels.Algorithm))
                         .ThenBy(c => configs.Rank(Grid.Factors.Data, c.Labels.Data))
                         .ThenBy(c => configs.Rank(Grid.Factors.RewardModel, c.Labels.RewardModel))
                         .ThenBy(c => configs.Rank(Grid.Factors.Prompts, c.Labels.Prompts)))
            {
                var shared = book.CommonItems([sft, config]);
                if (shared.Count == 0) continue;
                uplifts.Add(new PolicyUplift(config.Labels.Algorithm, config.Labels.Data, config.Labels.RewardModel, config.Labels.Prompts,
                    config.Seeds, book.Mean(config, shared, null), book.Difference(config, sft, shared, null), config.Algorithm));
            }
        }

        var (pretrainLoss, pretrainEvalLoss) = PretrainLosses(context.Store);
        var (rewardModels, rmDifferences) = RewardModelAgreements(context);
        var figures = new InstrumentFigures(seeds, sftScore, demonstrator, expert, itemCount, pretrainLoss, pretrainEvalLoss, rewardModels, uplifts, [], rmDifferences);
        return figures with { Questions = Answerability(figures), ReferencesMissing = referencesMissing };
    }

    /// <summary>The World the lab's world node wrote (null when the lab has none, or its folder is gone), or null and why
    /// it cannot be read (a World of another generator version): the report then goes on without the references.</summary>
    static (WorldInstance? World, string? Why) LoadWorld(ReportContext context)
    {
        if (context.WorldFolder is not { } folder) return (null, null);
        try
        {
            return (WorldInstance.Load(folder), null);
        }
        catch (UserError e)
        {
            return (null, e.Message);
        }
    }

    static Estimate ReferenceScore(ScoreBook book, WorldInstance world, ResponderProfile profile, ItemSet items)
    {
        var scores = ReferenceAnswers.Score(world, profile, ReferenceSeed);
        return book.Mean(scores, items);
    }

    static (double? Train, double? Eval) PretrainLosses(LabStore store)
    {
        var node = store.Nodes().FirstOrDefault(n => n.Kind == "pretrain" && n.Status == NodeStatus.Done);
        if (node is null) return (null, null);
        double? Last(string name) => store.Metric(node.Id, name) is { Count: > 0 } points ? points[^1].Value : null;
        return (Last("loss"), Last("eval/loss"));
    }

    static (List<RewardModelAgreement> Agreements, List<RewardModelDifference> Differences) RewardModelAgreements(ReportContext context)
    {
        var result = new List<RewardModelAgreement>();
        var verdictsByLabel = new List<(string Label, Dictionary<(string Subset, string Item), double> Gold)>();
        var evaluations = context.Configs.Runs.Where(r => r.RmEvaluationNode is not null && context.Store.IsDone(r.RmEvaluationNode))
            .GroupBy(r => r.RmEvaluationNode!).Select(g => g.First())
            .OrderBy(r => context.Configs.Rank(Grid.Factors.RewardModel, r.Labels.RewardModel))
            .ThenBy(r => context.Configs.Rank(Grid.Factors.Data, r.Labels.Data)).ToList();
        var bootstrap = context.Book.Bootstrap;
        foreach (var run in evaluations)
        {
            var verdicts = context.Store.RewardModelVerdicts(run.RmEvaluationNode!).Where(v => v.GoldAgreement is not null).ToList();
            if (verdicts.Count == 0) continue;
            var byCategory = new SortedDictionary<string, Estimate>(StringComparer.Ordinal);
            foreach (var group in verdicts.Where(v => v.Category is not null).GroupBy(v => v.Category!))
                byCategory[group.Key] = Bootstrap.Mean(group.Select(v => v.GoldAgreement!.Value).ToList(), bootstrap);
            string rm = run.Labels.RewardModel ?? "—";
            string label = run.Labels.Data is null ? rm : $"{rm} on {run.Labels.Data}";
            result.Add(new RewardModelAgreement(label, rm, run.Labels.Data,
                Bootstrap.Mean(verdicts.Select(v => v.GoldAgreement!.Value).ToList(), bootstrap), byCategory));
            verdictsByLabel.Add((label, verdicts.ToDictionary(v => (v.Subset, v.ItemId), v => v.GoldAgreement!.Value)));
        }
        // Every pair of reward models scored on common pairs (the same World's held-out pairs): a paired difference,
        // so a data-quality or size effect on the RM itself shows with its interval.
        var differences = new List<RewardModelDifference>();
        for (int i = 0; i < verdictsByLabel.Count; i++)
            for (int j = i + 1; j < verdictsByLabel.Count; j++)
            {
                if (AgreementDifference(verdictsByLabel[i].Label, verdictsByLabel[i].Gold, verdictsByLabel[j].Label, verdictsByLabel[j].Gold,
                        bootstrap) is { } difference)
                    differences.Add(difference);
            }
        return (result, differences);
    }

    /// <summary>first − second gold agreement over the pairs (subset, item) both scored, paired by pair; null when they share none.</summary>
    public static RewardModelDifference? AgreementDifference(string first, IReadOnlyDictionary<(string Subset, string Item), double> firstGold,
        string second, IReadOnlyDictionary<(string Subset, string Item), double> secondGold, BootstrapOptions bootstrap)
    {
        var ordered = firstGold.OrderBy(p => p.Key.Subset, StringComparer.Ordinal).ThenBy(p => p.Key.Item, StringComparer.Ordinal)
            .Select(p => (p.Key, p.Value));
        return Bootstrap.PairedDifferenceOnShared(ordered, secondGold, bootstrap) is { } difference
            ? new RewardModelDifference(first, second, difference.N, difference)
            : null;
    }

    static bool Above(Estimate e) => e.Lower > 0;
    static bool Moves(Estimate e) => e.Lower > 0 || e.Upper < 0;

    /// <summary>"DPO", "KTO" or "DPO/KTO": the offline algorithms among <paramref name="uplifts"/>.</summary>
    static string Offline(IEnumerable<PolicyUplift> uplifts) => string.Join("/", uplifts.Select(u => u.Algorithm.ToUpperInvariant()).Distinct());

    /// <summary>For each of the paper's questions, whether this run's components can show an effect at all.</summary>
    public static IReadOnlyList<QuestionStatus> Answerability(InstrumentFigures f)
    {
        var questions = new List<QuestionStatus>();
        string Fmt(Estimate e) => ReportFormat.Delta(e);
        var dpo = f.Uplifts.Where(u => AlgorithmTypes.OfflineNames.Contains(u.TypeName)).ToList();
        var online = f.Uplifts.Where(u => u.TypeName is "ppo" or "rloo" or "grpo" or "online-dpo").ToList();
        var onlineGold = online.Where(u => u.RewardModel == "gold").ToList();
        var rerankGold = f.Uplifts.Where(u => u.TypeName == "best-of-n" && u.RewardModel == "gold").ToList();
        var onlineRm = online.Where(u => u.RewardModel is not null && u.RewardModel != "gold").ToList();

        if (f.Sft is null)
            return [new QuestionStatus("all", "every question", false, "the store has no SFT evaluation to measure against")];

        // 1. Data: does the offline learner move the policy on some dataset?
        questions.Add(dpo.Count == 0
            ? new("data", "Preference data", false, "no DPO (or KTO) runs")
            : dpo.Any(u => Moves(u.Uplift))
                ? new("data", "Preference data", true, Offline(dpo) + " moves the SFT policy on " + string.Join(", ", dpo.Where(u => Moves(u.Uplift)).Select(u => $"{u.Data} ({Fmt(u.Uplift)})")))
                : new("data", "Preference data", false, Offline(dpo) + " does not move the SFT policy on any dataset (" + string.Join("; ", dpo.Select(u => $"{u.Data} {Fmt(u.Uplift)}")) +
                    "): no difference between datasets can show through it"));

        // 2. Algorithm: can either algorithm move the policy?
        var anyAlgorithm = dpo.Concat(online).Where(u => Moves(u.Uplift)).ToList();
        questions.Add(dpo.Count == 0 || online.Count == 0
            ? new("algorithm", "PPO vs DPO", false, "the grid lacks DPO or PPO runs")
            : anyAlgorithm.Count > 0
                ? new("algorithm", "PPO vs DPO", true, "at least one algorithm moves the policy: " + string.Join(", ", anyAlgorithm.Select(Describe)))
                : new("algorithm", "PPO vs DPO", false, "neither DPO nor PPO moves the SFT policy at this budget"));

        // 3. Reward models: a perfect reward model (the gold judge) must beat SFT through PPO or best-of-N (the ceiling a
        // trained RM approaches), and a trained RM must be above chance.
        var aboveChance = f.RewardModels.Where(r => r.Agreement.Lower > 0.5).ToList();
        var ceilings = onlineGold.Concat(rerankGold).ToList();
        var ceilingsAbove = ceilings.Where(u => Above(u.Uplift)).ToList();
        QuestionStatus rmQuestion;
        if (ceilings.Count == 0) rmQuestion = new("reward_model", "Reward models", false, "no PPO or best-of-N run with the gold judge, the ceiling a reward model approaches");
        else if (ceilingsAbove.Count == 0)
            rmQuestion = new("reward_model", "Reward models", false,
                $"{string.Join(" and ", ceilings.Select(u => u.TypeName).Distinct().Select(Name))} with the gold reward does not beat SFT ({string.Join("; ", ceilings.Select(Describe))}): no reward model, however good, could show an effect at this budget");
        else if (aboveChance.Count == 0)
            rmQuestion = new("reward_model", "Reward models", false, "no trained reward model agrees with gold above chance");
        else
        {
            string why = $"{string.Join("; ", ceilingsAbove.Select(Describe))} beat{(ceilingsAbove.Count == 1 ? "s" : "")} SFT with the gold reward and " +
                $"{string.Join(", ", aboveChance.Select(r => r.Label))} agree{(aboveChance.Count == 1 ? "s" : "")} with gold above chance";
            var ppoFlat = onlineGold.Where(u => !Above(u.Uplift)).ToList();
            if (ppoFlat.Count > 0 && onlineGold.Count == ppoFlat.Count)
                why += $"; only through best-of-N: PPO with the gold reward does not beat SFT ({string.Join("; ", ppoFlat.Select(u => ReportFormat.Delta(u.Uplift)))})";
            rmQuestion = new("reward_model", "Reward models", true, why);
        }
        questions.Add(rmQuestion);

        // 4. Prompts: PPO with a trained RM must move the policy for the prompt set to matter.
        var promptSets = onlineRm.Select(u => u.Prompts).OfType<string>().Distinct().ToList();
        questions.Add(onlineRm.Count == 0
            ? new("prompts", "Prompts for PPO", false, "no PPO run with a trained reward model")
            : promptSets.Count < 2
                ? new("prompts", "Prompts for PPO", false, $"PPO with a trained reward model ran on one prompt set ({string.Join(", ", promptSets)}): there is nothing to compare it with")
            : onlineRm.Any(u => Moves(u.Uplift))
                ? new("prompts", "Prompts for PPO", true, "PPO with a trained reward model moves the policy: " + string.Join(", ", onlineRm.Where(u => Moves(u.Uplift)).Select(Describe)))
                : new("prompts", "Prompts for PPO", false, "PPO with a trained reward model does not move the SFT policy on any prompt set (" +
                    string.Join("; ", onlineRm.Select(Describe)) + ")"));
        return questions;
    }

    static string Name(string type) => type switch { "ppo" => "PPO", "rloo" => "RLOO", "grpo" => "GRPO", "best-of-n" => "best-of-N", "dpo" => "DPO", "online-dpo" => "online DPO", _ => type };

    static string Describe(PolicyUplift u) =>
        $"{u.Algorithm}{(u.Data is null ? "" : " " + u.Data)}{(u.RewardModel is null ? "" : " rm " + u.RewardModel)}{(u.Prompts is null ? "" : " prompts " + u.Prompts)} {ReportFormat.Delta(u.Uplift)}";

    public static string ToMarkdown(InstrumentFigures f)
    {
        var text = new StringBuilder("## The instrument: what each component learned\n\n");
        if (f.Sft is not { } sft)
            return text.Append("Omitted: the store has no SFT evaluation (add an `sft` level to `algorithm`).\n").ToString();
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"A study measures only as well as its components have learned. Average gold score over categories on the same {f.Items} evaluation items (95% intervals over items and seeds):\n\n"));
        var rows = new List<IReadOnlyList<string>> { new[] { "SFT policy", ReportFormat.Score(sft) } };
        if (f.Demonstrator is { } d) rows.Add(["the World's demonstrator (wrote the SFT data)", ReportFormat.Score(d)]);
        if (f.Expert is { } e) rows.Add(["the World's expert responder", ReportFormat.Score(e)]);
        text.Append(ReportFormat.Table(["who", "average gold"], rows));
        if (f.ReferencesMissing is { } why)
            text.Append($"\nThe World's demonstrator and expert are not shown: {why}\n");
        if (f.Demonstrator is not null)
            text.Append("\nThe reference responders answer in their own words; on multiple-choice items, where the policy is scored 1/0 by likelihood, they get the gold score of their written answer.\n");
        if (f.PretrainLoss is double loss)
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"\nPretraining ended at training loss {loss:F3}{(f.PretrainEvalLoss is double eval ? $", held-out loss {eval:F3}" : " (the grid gives pretraining no held-out text)")}.\n"));

        if (f.RewardModels.Count > 0)
        {
            var categories = f.RewardModels.SelectMany(r => r.ByCategory.Keys).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
            var header = new List<string> { "reward model", "gold agreement" };
            header.AddRange(categories);
            text.Append("\nReward models: agreement with the gold judge on the World's held-out pairs (0.5 is chance).\n\n");
            text.Append(ReportFormat.Table(header, f.RewardModels.Select(r =>
            {
                var cells = new List<string> { r.Label, ReportFormat.Score(r.Agreement) };
                cells.AddRange(categories.Select(c => r.ByCategory.TryGetValue(c, out var est) ? est.Mean.ToString("F3", CultureInfo.InvariantCulture) : "—"));
                return (IReadOnlyList<string>)cells;
            })));
            if (f.RewardModelDifferences is { Count: > 0 } differences)
            {
                text.Append("\nDifferences in gold agreement, paired by held-out pair:\n\n");
                text.Append(ReportFormat.Table(["reward models", "pairs", "Δ gold agreement", "effect"], differences.Select(d =>
                    (IReadOnlyList<string>)[$"{d.First} − {d.Second}", d.Pairs.ToString(CultureInfo.InvariantCulture),
                        ReportFormat.Delta(d.Difference), ReportFormat.Verdict(d.Difference)])));
            }
        }

        if (f.Uplifts.Count > 0)
        {
            text.Append("\nEach policy against the SFT policy, paired by item (PPO or best-of-N with the `gold` reward model is the ceiling any trained reward model can approach at this budget: best-of-N with gold picks the best of the SFT policy's own samples, as a perfect reward model would):\n\n");
            text.Append(ReportFormat.Table(["algorithm", "data", "reward model", "prompts", "seeds", "average", "uplift over SFT", "effect"],
                f.Uplifts.Select(u => (IReadOnlyList<string>)[u.Algorithm, u.Data ?? "—", u.RewardModel ?? "—", u.Prompts ?? "—",
                    u.Seeds.Count.ToString(CultureInfo.InvariantCulture), ReportFormat.Score(u.Score), ReportFormat.Delta(u.Uplift), ReportFormat.Verdict(u.Uplift)])));
        }

        text.Append("\nCan this run answer the paper's questions?\n\n");
        foreach (var q in f.Questions)
            text.Append($"- **{q.Title}**: {(q.Answerable ? "answerable" : "not answerable")} — {q.Why}.\n");
        return text.ToString();
    }
}
