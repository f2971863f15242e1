using System.Globalization;
using System.Text;
using PrefLab.Lab.Grid;
using PrefLab.Plots;
using PrefLab.Statistics;

namespace PrefLab.Lab.Report;

/// <summary>
/// The paper's four analyses, each a Markdown section built from the store, or one line saying which grid factor
/// would produce it when its runs are absent.
/// </summary>
internal static class Analyses
{
    public static string Datasets(ReportContext context)
    {
        var configs = context.Configs;
        string title = "## 1. Preference data\n\n";
        if (OfflineLevel(configs) is not { } dpo)
            return title + "Omitted: the store has no DPO (or KTO) results. Add a `dpo` (or `kto`) level to the `algorithm` factor and two or more levels to `data`.\n";
        var candidates = configs.OrderBy(configs.All.Where(c => c.Labels.Algorithm == dpo && c.Labels.Data is not null), Factors.Data).ToList();
        var dataLevels = candidates.Select(c => c.Labels.Data!).Distinct().ToList();
        if (dataLevels.Count < 2)
            return title + $"Omitted: `{dpo}` has results for {(dataLevels.Count == 0 ? "no dataset" : "one dataset (" + dataLevels[0] + ")")}; add two or more levels to the `data` factor.\n";
        string baseline = configs.Baseline(Factors.Data, dataLevels);
        var rows = candidates.Select(c => (c.Labels.Data!, c)).ToList();
        var table = ScoreTable.Build(context.Book, rows, rows.FindIndex(r => r.Item1 == baseline));
        var text = new StringBuilder(title);
        text.Append($"Datasets compared under `{dpo}` ({TypeOf(configs, dpo).ToUpperInvariant()}): per-category scores and the average, with 95% intervals; the last columns give each dataset's average minus the baseline's (`{baseline}`), paired by item.\n\n");
        text.Append(table.ToMarkdown("dataset"));
        AppendFindings(text, table.Findings());
        text.Append(context.ScoreBars("datasets.png", $"Preference data under {dpo}", table));
        return text.ToString();
    }

    /// <summary>The offline preference level analyses 1 and 2 use: the one the report options request if it is DPO or
    /// KTO, else the first DPO level, else the first KTO level.</summary>
    static string? OfflineLevel(ConfigSet configs)
    {
        var any = configs.AlgorithmLevel([.. AlgorithmTypes.OfflineNames]);
        if (any is null || configs.Requested(Factors.Algorithm) == any) return any;
        return configs.AlgorithmLevel("dpo") ?? any;
    }

    static string TypeOf(ConfigSet configs, string level) =>
        configs.All.FirstOrDefault(c => c.Labels.Algorithm == level)?.Algorithm ?? level;

    public static string OnlineVsOffline(ReportContext context)
    {
        var configs = context.Configs;
        string title = "## 2. PPO vs DPO\n\n";
        string? dpo = OfflineLevel(configs);
        string? online = configs.AlgorithmLevel("ppo") ?? configs.AlgorithmLevel("rloo", "grpo");
        if (dpo is null || online is null)
            return title + $"Omitted: the store has no {(dpo is null ? "DPO (or KTO)" : "PPO")} results. Add both a `dpo` (or `kto`) and a `ppo` level to the `algorithm` factor " +
                "(with a `reward_model` trained on each run's dataset, the default, so each dataset is compared under both).\n";
        var pairs = new List<(string Data, Config Offline, Config Online)>();
        foreach (string data in context.Store.LevelOrder(Factors.Data))
        {
            var offline = configs.All.Where(c => c.Labels.Algorithm == dpo && c.Labels.Data == data).ToList();
            var onlineRuns = configs.All.Where(c => c.Labels.Algorithm == online && c.Labels.Data == data).ToList();
            if (offline.Count == 0 || onlineRuns.Count == 0) continue;
            pairs.Add((data, configs.Closest(offline, Factors.Data), configs.Closest(onlineRuns, Factors.RewardModel, Factors.Prompts)));
        }
        if (pairs.Count == 0)
            return title + $"Omitted: no dataset has results under both `{dpo}` and `{online}`; give the `{online}` runs a reward model trained on the same data (`data: same`, the default).\n";

        var rows = pairs.SelectMany(p => new[] { ($"{p.Data} · {dpo}", p.Offline), ($"{p.Data} · {online}", p.Online) }).ToList();
        var scores = ScoreTable.Build(context.Book, rows, null);
        var items = scores.Items;
        var text = new StringBuilder(title);
        text.Append($"Each dataset learned from by `{dpo}` directly and by `{online}` through a reward model trained on it " +
            $"({string.Join("; ", pairs.Select(p => $"{p.Data}: reward model {p.Online.Labels.RewardModel ?? "—"}, prompts {p.Online.Labels.Prompts ?? "—"}"))}).\n\n");
        text.Append(scores.ToMarkdown("dataset · algorithm"));
        if (scores.IsEmpty) return text.ToString();

        text.Append($"\nDifference `{online}` − `{dpo}` per dataset (paired by item, 95% intervals):\n\n");
        var header = new List<string> { "dataset" };
        header.AddRange(items.Categories);
        header.AddRange(["average", "effect"]);
        var deltaRows = new List<IReadOnlyList<string>>();
        var findings = new List<string>();
        var bars = new List<(string Label, List<Estimate> Values)>();
        foreach (var (data, offline, onlineConfig) in pairs)
        {
            var perCategory = items.Categories.Select(c => context.Book.Difference(onlineConfig, offline, items, c)).ToList();
            var average = context.Book.Difference(onlineConfig, offline, items, null);
            var cells = new List<string> { data };
            cells.AddRange(perCategory.Select(ReportFormat.Delta));
            cells.Add(ReportFormat.Delta(average));
            cells.Add(ReportFormat.Verdict(average));
            deltaRows.Add(cells);
            string verdict = ReportFormat.Verdict(average);
            findings.Add($"{data}: {online} − {dpo} = {ReportFormat.Delta(average)} on average — " +
                (verdict == ReportFormat.NoEffect ? "no detectable effect (the interval spans 0)." : $"{online} {verdict} (the interval excludes 0)."));
            bars.Add((data, [.. perCategory, average]));
        }
        text.Append(ReportFormat.Table(header, deltaRows));
        AppendFindings(text, findings);
        text.Append(context.Plot("ppo-vs-dpo.png", $"{online} − {dpo} per dataset", path => LabPlots.CategoryBars(path, $"{online} − {dpo} per dataset",
            "difference (95% CI)", bars.Select(b => b.Label).ToList(),
            items.Categories.Append("average").Select((c, i) => new BarGroup(c, bars.Select(b => b.Values[i]).ToList())).ToList())));
        return text.ToString();
    }

    public static string RewardModels(ReportContext context)
    {
        var configs = context.Configs;
        var text = new StringBuilder("## 3. Reward models\n\n");
        var missing = new List<string>();

        // (a) The reward models' own accuracy on held-out pairs.
        var evaluations = configs.Runs.Where(r => r.RmEvaluationNode is not null && context.Store.IsDone(r.RmEvaluationNode))
            .GroupBy(r => r.RmEvaluationNode!).Select(g => g.First()).ToList();
        var rmLabels = Labels.Disambiguate(evaluations.Select(r => (RewardModelLabel(r.Labels), configs.All.First(c => c.Key == r.ConfigKey))).ToList());
        if (evaluations.Count > 0)
        {
            var verdictsByRm = evaluations.Select(r => context.Store.RewardModelVerdicts(r.RmEvaluationNode!)).ToList();
            var subsets = verdictsByRm.SelectMany(v => v.Select(x => x.Subset)).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
            bool gold = verdictsByRm.Any(v => v.Any(x => x.GoldAgreement is not null));
            var header = new List<string> { "reward model", "accuracy" };
            header.AddRange(subsets.Select(s => "accuracy: " + s));
            if (gold) header.Add("agreement with gold");
            header.Add("pairs");
            var rows = new List<IReadOnlyList<string>>();
            for (int i = 0; i < evaluations.Count; i++)
            {
                var verdicts = verdictsByRm[i];
                var cells = new List<string> { rmLabels[i], ReportFormat.Score(Bootstrap.Mean(verdicts.Select(v => v.Correct).ToList(), context.Book.Bootstrap)) };
                foreach (string subset in subsets)
                {
                    var inSubset = verdicts.Where(v => v.Subset == subset).Select(v => v.Correct).ToList();
                    cells.Add(inSubset.Count == 0 ? "—" : ReportFormat.Score(Bootstrap.Mean(inSubset, context.Book.Bootstrap)));
                }
                if (gold)
                {
                    var agreement = verdicts.Where(v => v.GoldAgreement is not null).Select(v => v.GoldAgreement!.Value).ToList();
                    cells.Add(agreement.Count == 0 ? "—" : ReportFormat.Score(Bootstrap.Mean(agreement, context.Book.Bootstrap)));
                }
                cells.Add(verdicts.Count.ToString(CultureInfo.InvariantCulture));
                rows.Add(cells);
            }
            text.Append("### Accuracy on held-out preference pairs\n\nShare of pairs each reward model orders as labelled (and, on a World, as the gold scorer does), with 95% intervals over pairs.\n\n");
            text.Append(ReportFormat.Table(header, rows));
        }
        else missing.Add("their accuracy (add an `rm_evaluation` section, automatic on a World)");

        // (b) Best-of-N downstream.
        var bon = configs.All.Where(c => c.Algorithm == "best-of-n").ToList();
        if (bon.Count > 0)
        {
            var byRm = bon.GroupBy(c => RewardModelLabel(c.Labels)).ToList();
            var sizes = bon.Select(c => (int)(c.Settings.GetLong("algorithm.n") ?? 0)).Distinct().Order().ToList();
            var header = new List<string> { "reward model" };
            header.AddRange(sizes.Select(n => $"N = {n}"));
            var rows = new List<IReadOnlyList<string>>();
            foreach (var group in byRm)
            {
                var cells = new List<string> { group.Key };
                foreach (int n in sizes)
                {
                    var atN = group.Where(c => c.Settings.GetLong("algorithm.n") == n).ToList();
                    if (atN.Count == 0) { cells.Add("—"); continue; }
                    var config = configs.Closest(atN, Factors.Algorithm);
                    var items = context.Book.CommonItems([config]);
                    cells.Add(items.Count == 0 ? "—" : ReportFormat.Score(context.Book.Mean(config, items, null)));
                }
                rows.Add(cells);
            }
            text.Append("\n### Best-of-N\n\nAverage score over categories when the SFT model samples N responses and each reward model picks one (95% intervals over items and seeds).\n\n");
            text.Append(ReportFormat.Table(header, rows));
            // Paired by item at each N that two or more reward models share: does a better judge pick better?
            foreach (int n in sizes)
            {
                var atN = byRm.Select(g => g.Where(c => c.Settings.GetLong("algorithm.n") == n).ToList()).Where(g => g.Count > 0)
                    .Select(g => configs.Closest(g, Factors.Algorithm))
                    .OrderBy(c => configs.Rank(Factors.RewardModel, c.Labels.RewardModel)).ThenBy(c => configs.Rank(Factors.Data, c.Labels.Data)).ToList();
                if (atN.Count < 2) continue;
                var table = ScoreTable.Build(context.Book, atN.Select(c => (RewardModelLabel(c.Labels), c)).ToList(), 0);
                text.Append($"\nBest-of-{n} per category, each reward model against the first, paired by item:\n\n");
                text.Append(table.ToMarkdown("reward model"));
                AppendFindings(text, table.Findings());
            }
        }
        else missing.Add("best-of-N (add `best-of-n` levels with n: 1, 4, 16 to `algorithm`)");

        // (c) The policy after PPO with each reward model.
        string? online = configs.AlgorithmLevel("ppo") ?? configs.AlgorithmLevel("rloo", "grpo");
        var withRm = online is null ? [] : configs.All.Where(c => c.Labels.Algorithm == online && c.Labels.RewardModel is not null).ToList();
        var byModel = withRm.GroupBy(c => (c.Labels.RewardModel, c.Labels.Data)).Select(g => configs.Closest(g, Factors.Prompts)).ToList();
        if (byModel.Count >= 2)
        {
            var ordered = byModel.OrderBy(c => configs.Rank(Factors.RewardModel, c.Labels.RewardModel))
                .ThenBy(c => configs.Rank(Factors.Data, c.Labels.Data)).ToList();
            var rows = ordered.Select(c => (RewardModelLabel(c.Labels), c)).ToList();
            var table = ScoreTable.Build(context.Book, rows, 0);
            text.Append($"\n### `{online}` with each reward model\n\nThe policy's scores after `{online}` with each reward model (prompts as close to the default as the store has); the baseline is the first reward model.\n\n");
            text.Append(table.ToMarkdown("reward model"));
            AppendFindings(text, table.Findings());
            text.Append(context.ScoreBars("reward-models.png", $"{online} with each reward model", table));
        }
        else missing.Add("the policy after PPO with each reward model (add two or more levels to `reward_model` with a `ppo` algorithm)");

        if (missing.Count == 3) return "## 3. Reward models\n\nOmitted: the store has no reward-model results. " +
            "Add a `reward_model` factor (its accuracy comes from `rm_evaluation`), `best-of-n` algorithms, and a `ppo` algorithm.\n";
        if (missing.Count > 0) text.Append("\nNot in the store: " + string.Join("; ", missing) + ".\n");
        return text.ToString();
    }

    public static string Prompts(ReportContext context)
    {
        var configs = context.Configs;
        string title = "## 4. Prompts for PPO\n\n";
        string? online = configs.AlgorithmLevel("ppo") ?? configs.AlgorithmLevel("rloo", "grpo");
        if (online is null)
            return title + "Omitted: the store has no PPO results. Add a `ppo` level to `algorithm` and two or more levels to `prompts`.\n";
        var contexts = configs.All.Where(c => c.Labels.Algorithm == online && c.Labels.Prompts is not null)
            .GroupBy(c => (c.Labels.Data, c.Labels.RewardModel))
            .Where(g => g.Select(c => c.Labels.Prompts).Distinct().Count() >= 2).ToList();
        if (contexts.Count == 0)
            return title + $"Omitted: `{online}` has results for fewer than two prompt sets with the same data and reward model; add two or more levels to the `prompts` factor.\n";
        var chosen = contexts.OrderBy(g => configs.Rank(Factors.Data, g.Key.Data)).ThenBy(g => configs.Rank(Factors.RewardModel, g.Key.RewardModel)).First();
        var rows = configs.OrderBy(chosen, Factors.Prompts).Select(c => (c.Labels.Prompts!, c)).ToList();
        string baseline = configs.Baseline(Factors.Prompts, rows.Select(r => r.Item1));
        var table = ScoreTable.Build(context.Book, rows, rows.FindIndex(r => r.Item1 == baseline));
        var text = new StringBuilder(title);
        text.Append($"`{online}` with reward model `{chosen.Key.RewardModel}` (data `{chosen.Key.Data ?? "—"}`), trained on each prompt set; " +
            $"differences are against the default set `{baseline}`, paired by item.\n\n");
        text.Append(table.ToMarkdown("prompt set"));
        AppendFindings(text, table.Findings());
        text.Append(context.ScoreBars("prompts.png", $"{online}: prompt sets", table));
        return text.ToString();
    }

    /// <summary>Training curves of the policies (DPO: loss; online RL: objective/scores) and reward against sqrt(KL).</summary>
    public static string Curves(ReportContext context)
    {
        if (!context.Options.Plots) return "";
        var text = new StringBuilder();
        var policies = context.Configs.All.Where(c => c.Runs.Any(r => r.PolicyNode is not null)).ToList();
        foreach (var (types, metric, file) in new[]
                 {
                     (new[] { "dpo" }, "loss", "curves-dpo.png"),
                     (new[] { "kto" }, "loss", "curves-kto.png"),
                     (new[] { "ppo", "rloo", "grpo", "online-dpo" }, "objective/scores", "curves-online.png"),
                 })
        {
            var series = policies.Where(c => types.Contains(c.Algorithm))
                .Select(c => MeanCurve(context, c, metric)).Where(s => s.Xs.Count > 0).ToList();
            if (series.Count == 0) continue;
            text.Append(context.Plot(file, $"{metric} against step", path =>
                LabPlots.Curves(path, $"{string.Join("/", types)}: {metric} (mean over seeds)", "step", metric, series)));
        }
        var rl = policies.Where(c => c.IsOnline).Select(c => KlCurve(context, c)).Where(s => s.Xs.Count > 0).ToList();
        if (rl.Count > 0)
            text.Append(context.Plot("reward-vs-sqrt-kl.png", "reward against sqrt(KL)", path =>
                LabPlots.Curves(path, "objective/scores against sqrt(objective/kl) (mean over seeds)", "sqrt(KL)", "objective/scores", rl)));
        return text.Length == 0 ? "" : "## Training curves\n" + text;
    }

    static string CurveLabel(Config c) =>
        string.Join(" ", new[] { c.Labels.Algorithm, c.Labels.Data, c.Labels.RewardModel is { } rm ? "rm " + rm : null, c.Labels.Prompts is { } p ? "prompts " + p : null }
            .Where(s => s is not null));

    /// <summary>A metric against step, averaged over the configuration's seeds at each step they all logged.</summary>
    static Series MeanCurve(ReportContext context, Config config, string metric)
    {
        var curves = config.Runs.Where(r => r.PolicyNode is not null).Select(r => context.Store.Metric(r.PolicyNode!, metric)
            .ToDictionary(p => p.Step, p => p.Value)).Where(c => c.Count > 0).ToList();
        if (curves.Count == 0) return new Series(CurveLabel(config), [], []);
        var steps = curves.Select(c => (IEnumerable<long>)c.Keys).Aggregate((a, b) => a.Intersect(b)).Order().ToList();
        return new Series(CurveLabel(config), steps.Select(s => (double)s).ToList(), steps.Select(s => curves.Average(c => c[s])).ToList());
    }

    static Series KlCurve(ReportContext context, Config config)
    {
        var kl = MeanCurve(context, config, "objective/kl");
        var scores = MeanCurve(context, config, "objective/scores");
        var byStep = scores.Xs.Zip(scores.Ys).ToDictionary(p => p.First, p => p.Second);
        var points = kl.Xs.Zip(kl.Ys).Where(p => byStep.ContainsKey(p.First))
            .Select(p => (X: Math.Sqrt(Math.Max(0, p.Second)), Y: byStep[p.First])).ToList();
        return new Series(CurveLabel(config), points.Select(p => p.X).ToList(), points.Select(p => p.Y).ToList());
    }

    static string RewardModelLabel(RunLabels labels) =>
        labels.RewardModel is null ? "—" : labels.Data is null ? labels.RewardModel : $"{labels.RewardModel} on {labels.Data}";

    static void AppendFindings(StringBuilder text, IEnumerable<string> findings)
    {
        var list = findings.ToList();
        if (list.Count == 0) return;
        text.Append('\n');
        foreach (string finding in list) text.Append("- ").Append(finding).Append('\n');
    }
}
