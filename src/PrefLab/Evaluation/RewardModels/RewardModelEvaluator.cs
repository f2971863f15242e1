using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Statistics;
using PrefLab.World;

namespace PrefLab.Evaluation.RewardModels;

/// <summary>What <c>preflab rm eval</c> (and the lab) evaluates.</summary>
public sealed record RewardEvalOptions
{
    /// <summary>Reward model folders; with several, each is compared with the first.</summary>
    public required IReadOnlyList<string> Models { get; init; }
    /// <summary>Preference files (any pair format); each is a set, reported per category/source/subset it carries.</summary>
    public IReadOnlyList<string> Data { get; init; } = [];
    /// <summary>A World folder: also evaluate on gold-labelled held-out pairs (<see cref="WorldHeldOutPairs"/>).</summary>
    public string? World { get; init; }
    public int WorldPairsPerPrompt { get; init; } = WorldHeldOutPairs.DefaultPairsPerPrompt;
    public long WorldSeed { get; init; }
    public ReadOptions Read { get; init; } = new();
    /// <summary>Batch size, max length (pairs longer are dropped and counted) and chat format for scoring.</summary>
    public RewardModelOptions Scoring { get; init; } = new();
    public BootstrapOptions Bootstrap { get; init; } = BootstrapOptions.Default;
    public int CalibrationBins { get; init; } = 10;
    /// <summary>Also evaluate the models as one ensemble: each member's raw reward normalised by its stored
    /// normalisation (raw when it has none), combined by this rule, on the pairs every member scored.</summary>
    public RewardEnsemble? Ensemble { get; init; }
}

/// <summary>
/// Evaluates reward models on preference pairs: accuracy (95% bootstrap CI) overall and per subset, mean
/// margin, calibration, and the reward-length relation; on a World, agreement with the gold judge on held-out
/// pairs per category; several models side by side with paired accuracy differences.
/// </summary>
public static class RewardModelEvaluator
{
    public const string WorldSetName = "world-heldout";

    sealed record PairSet(string Name, string Kind, IReadOnlyList<PreferencePair> Pairs, JsonObject Input);

    public static RewardEvalReport Evaluate(RewardEvalOptions options)
    {
        TorchRuntime.EnsureLoaded();
        if (options.Models.Count == 0) throw UserError.InOption("model", "give at least one reward model");
        if (options.Data.Count == 0 && options.World is null) throw UserError.InOption("data", "give --data FILE or --world WORLD_DIR (or both)");
        if (options.CalibrationBins < 1) throw UserError.InOption("bins", $"must be at least 1, not {options.CalibrationBins}");
        var sets = new List<PairSet>();
        foreach (string file in options.Data)
        {
            var stream = DatasetReader.ReadPairs(file, options.Read);
            var pairs = stream.ToList();
            sets.Add(new PairSet(Path.GetFileName(file), "data", pairs, new JsonObject { ["file"] = Path.GetFullPath(file), ["read"] = stream.Report.ToJson() }));
        }
        string? worldMethod = null;
        if (options.World is not null)
        {
            var world = WorldInstance.Load(options.World);
            var heldOut = WorldHeldOutPairs.Build(world, options.WorldPairsPerPrompt, options.WorldSeed);
            worldMethod = heldOut.Method;
            sets.Add(new PairSet(WorldSetName, "world", heldOut.Pairs, new JsonObject
            {
                ["world"] = world.Directory,
                ["method"] = heldOut.Method,
                ["drawn"] = heldOut.Drawn,
                ["identical_dropped"] = heldOut.Identical,
                ["gold_ties_dropped"] = heldOut.Ties,
            }));
        }

        if (options.Ensemble is { } rule && (options.Models.Count < 2 || rule.Weights is { } w && w.Count != options.Models.Count))
            throw UserError.InOption("ensemble", $"combines two or more reward models, each with a weight under --ensemble weights ({options.Models.Count} given)");
        var results = new List<RewardModelEvalResult>();
        var scored = new List<List<ScoredSet>>();
        var normalizers = new List<RewardNormalizer>();
        var members = new JsonArray();
        foreach (string folder in options.Models)
        {
            using var model = RewardModel.Load(folder, options.Scoring);
            var memberSets = sets.Select(set => EvaluateSet(model, set, options)).ToList();
            scored.Add(memberSets);
            results.Add(new RewardModelEvalResult(folder, memberSets.Select(m => m.Result).ToList()));
            normalizers.Add(model.Normalization?.Normalizer ?? RewardNormalizer.Identity);
            members.Add(new JsonObject
            {
                ["folder"] = folder,
                ["normalization"] = model.Normalization is { } n
                    ? new JsonObject { ["applied"] = true, ["mean"] = n.Mean, ["std"] = n.Std, ["file"] = RewardNormalization.PathIn(model.Folder) }
                    : new JsonObject { ["applied"] = false, ["why"] = $"no {RewardNormalization.FileName} in the folder: raw head outputs" },
            });
        }
        JsonObject? ensembleJson = null;
        if (options.Ensemble is { } ensemble)
        {
            string name = EnsembleName(ensemble);
            results.Add(new RewardModelEvalResult(name, sets.Select((set, s) =>
                EnsembleSet(set, scored.Select(m => m[s]).ToList(), normalizers, ensemble, options)).ToList()));
            ensembleJson = ensemble.Describe();
            ensembleJson["name"] = name;
            ensembleJson["members"] = members;
            ensembleJson["pairs"] = "the pairs every member scored; rewards of the ensemble are on the normalised scale, lengths are the first member's tokens";
        }

        var comparisons = new List<AccuracyComparison>();
        for (int m = 1; m < results.Count; m++)
            for (int s = 0; s < sets.Count; s++)
                if (Compare(results[m].Sets[s].Scores, results[0].Sets[s].Scores, options.Bootstrap) is { } difference)
                    comparisons.Add(new AccuracyComparison(sets[s].Name, results[m].Model, results[0].Model, difference));
        string interval = string.Create(CultureInfo.InvariantCulture,
            $"{options.Bootstrap.Confidence * 100:0.#}% percentile bootstrap over pairs ({options.Bootstrap.Resamples} resamples, seed {options.Bootstrap.Seed})");
        return new RewardEvalReport(results, comparisons, worldMethod, interval, ensembleJson);
    }

    /// <summary>Paired difference on the pairs both models scored; null when they share none.</summary>
    static Estimate? Compare(PairScores model, PairScores baseline, BootstrapOptions bootstrap)
    {
        var baselineCorrect = baseline.Correct();
        var modelCorrect = model.Correct();
        return Bootstrap.PairedDifferenceOnShared(model.Index.Select((pair, k) => (pair, modelCorrect[k])),
            baseline.Index.Select((pair, k) => (pair, k)).ToDictionary(p => p.pair, p => baselineCorrect[p.k]), bootstrap);
    }

    /// <summary>A member's result with what the ensemble needs: its raw scores and response lengths by pair.</summary>
    sealed record ScoredSet(PairSetResult Result, int[] ChosenLength, int[] RejectedLength);

    /// <summary>The ensemble's name in reports: "ensemble-mean", "ensemble-min", "ensemble-weights".</summary>
    public static string EnsembleName(RewardEnsemble ensemble) => "ensemble-" + RewardEnsemble.Name(ensemble.Combiner);

    static PairSetResult EnsembleSet(PairSet set, IReadOnlyList<ScoredSet> members, IReadOnlyList<RewardNormalizer> normalizers, RewardEnsemble rule,
        RewardEvalOptions options)
    {
        var positions = members.Select(m => m.Result.Scores.Index.Select((pair, k) => (pair, k)).ToDictionary(p => p.pair, p => p.k)).ToList();
        var index = members[0].Result.Scores.Index.Where(pair => positions.All(p => p.ContainsKey(pair))).ToArray();
        var chosen = rule.Combine(members.Select((m, j) => index.Select(pair => normalizers[j].Apply(m.Result.Scores.Chosen[positions[j][pair]])).ToArray()).ToList());
        var rejected = rule.Combine(members.Select((m, j) => index.Select(pair => normalizers[j].Apply(m.Result.Scores.Rejected[positions[j][pair]])).ToArray()).ToList());
        var first = members[0];
        var input = new JsonObject
        {
            ["set"] = set.Input.DeepClone(),
            ["pairs_scored_by_every_member"] = index.Length,
            ["pairs_scored_by_each_member"] = new JsonArray(members.Select(m => (JsonNode?)m.Result.Pairs).ToArray()),
        };
        if (index.Length == 0) throw new UserError($"{set.Name}: no pair that every ensemble member could score");
        return Summarise(set, options, index, chosen, rejected,
            index.Select(pair => first.ChosenLength[positions[0][pair]]).ToArray(), index.Select(pair => first.RejectedLength[positions[0][pair]]).ToArray(), input);
    }

    static ScoredSet EvaluateSet(RewardModel model, PairSet set, RewardEvalOptions options)
    {
        var collation = new CollationReport();
        var index = new List<int>();
        var sequences = new List<TokenizedSequence>();
        for (int i = 0; i < set.Pairs.Count; i++)
        {
            if (model.Chat.Pair(set.Pairs[i], model.MaxLength, TruncationPolicy.Drop, collation) is not { } tokens) continue;
            index.Add(i);
            sequences.Add(tokens.Chosen);
            sequences.Add(tokens.Rejected);
        }
        var input = (JsonObject)set.Input.DeepClone();
        input["tokenization"] = collation.ToJson();
        input["chat_format"] = model.Chat.Format.Name;
        input["max_length"] = model.MaxLength;
        if (index.Count == 0)
            throw new UserError($"{set.Name}: no pair left to evaluate after tokenization ({collation}); raise --max-length?");
        var rewards = model.ScoreSequences(sequences);
        int n = index.Count;
        var chosen = new double[n];
        var rejected = new double[n];
        var chosenLength = new int[n];
        var rejectedLength = new int[n];
        for (int k = 0; k < n; k++)
        {
            chosen[k] = rewards[2 * k];
            rejected[k] = rewards[2 * k + 1];
            chosenLength[k] = sequences[2 * k].LossTokens;
            rejectedLength[k] = sequences[2 * k + 1].LossTokens;
        }
        return new ScoredSet(Summarise(set, options, index.ToArray(), chosen, rejected, chosenLength, rejectedLength, input), chosenLength, rejectedLength);
    }

    static PairSetResult Summarise(PairSet set, RewardEvalOptions options, IReadOnlyList<int> index, double[] chosen, double[] rejected,
        int[] chosenLength, int[] rejectedLength, JsonObject input)
    {
        int n = index.Count;
        var scores = new PairScores(index.ToArray(), chosen, rejected, index.Select(i => set.Pairs[i].Category).ToArray());
        var correct = scores.Correct();
        var subsets = new List<SubsetResult>();
        foreach (var (key, select) in MetadataKeys)
        {
            var values = index.Select(i => select(set.Pairs[i])).ToArray();
            if (values.All(v => v is null)) continue;
            foreach (var group in Enumerable.Range(0, n).GroupBy(k => values[k] ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var members = group.ToList();
                subsets.Add(new SubsetResult(key, group.Key, members.Count,
                    Bootstrap.Mean(members.Select(k => correct[k]).ToList(), options.Bootstrap),
                    members.Average(k => chosen[k] - rejected[k])));
            }
        }
        return new PairSetResult(set.Name, set.Kind, n,
            Bootstrap.Mean(correct, options.Bootstrap),
            Enumerable.Range(0, n).Average(k => chosen[k] - rejected[k]),
            chosen.Average(), rejected.Average(),
            Enumerable.Range(0, n).Count(k => chosen[k] == rejected[k]),
            RewardStatistics.ExpectedCalibrationError(chosen, rejected, options.CalibrationBins),
            RewardStatistics.Length(chosen, rejected, chosenLength, rejectedLength),
            subsets, input, scores);
    }

    static readonly (string Key, Func<PreferencePair, string?> Select)[] MetadataKeys =
    [
        ("category", p => p.Category),
        ("source", p => p.Source),
        ("subset", p => p.Subset),
    ];
}
