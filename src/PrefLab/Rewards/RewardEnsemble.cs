using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Rewards;

/// <summary>How the (normalised) scores of an ensemble's members become one reward.</summary>
public enum EnsembleCombiner
{
    /// <summary>The members' mean.</summary>
    Mean,
    /// <summary>The members' minimum: the most pessimistic member (conservative reward-model ensembles).</summary>
    Min,
    /// <summary>The weighted mean Σ wᵢ sᵢ / Σ wᵢ with the given non-negative weights.</summary>
    Weights,
}

/// <summary>
/// A reward-model ensemble's combination rule: which combiner and, for <see cref="EnsembleCombiner.Weights"/>,
/// the weights (one per member). <see cref="Combine(IReadOnlyList{double[]})"/> is a pure function of the members'
/// scores, so it is tested against hand-computed values; every caller (online RL, best-of-N, <c>rm eval</c>) uses it.
/// </summary>
public sealed record RewardEnsemble
{
    RewardEnsemble(EnsembleCombiner combiner, IReadOnlyList<double>? weights)
    {
        Combiner = combiner;
        Weights = weights;
    }

    public EnsembleCombiner Combiner { get; }
    /// <summary>The weights as given (not rescaled), with <see cref="EnsembleCombiner.Weights"/>; otherwise null.</summary>
    public IReadOnlyList<double>? Weights { get; }

    /// <summary>
    /// Checks and builds the rule for <paramref name="members"/> members; errors name <c>--ensemble</c> or
    /// <c>--ensemble-weights</c>: weights only (and always) with <c>weights</c>, one per member, finite, non-negative,
    /// not all zero.
    /// </summary>
    public static RewardEnsemble Create(EnsembleCombiner combiner, IReadOnlyList<double>? weights, int members)
    {
        if (members < 1) throw UserError.InOption("reward-model", "an ensemble needs at least one reward model");
        if (combiner != EnsembleCombiner.Weights)
        {
            if (weights is not null)
                throw UserError.InOption("ensemble-weights", $"applies only with --ensemble weights, not --ensemble {Name(combiner)}");
            return new RewardEnsemble(combiner, null);
        }
        if (weights is null) throw UserError.InOption("ensemble-weights", "is required with --ensemble weights (one weight per --reward-model, e.g. 1,1,2)");
        if (weights.Count != members)
            throw UserError.InOption("ensemble-weights", $"gives {weights.Count} weight{(weights.Count == 1 ? "" : "s")} for {members} reward models; give one per --reward-model, in their order");
        for (int i = 0; i < weights.Count; i++)
        {
            if (!double.IsFinite(weights[i])) throw UserError.InOption("ensemble-weights", $"weight {i + 1} is {weights[i].ToString(CultureInfo.InvariantCulture)}, not a finite number");
            if (weights[i] < 0) throw UserError.InOption("ensemble-weights", $"weight {i + 1} is {weights[i].ToString(CultureInfo.InvariantCulture)}; weights must be non-negative");
        }
        if (weights.All(w => w == 0)) throw UserError.InOption("ensemble-weights", "are all zero; at least one weight must be positive");
        return new RewardEnsemble(combiner, weights.ToArray());
    }

    /// <summary>Parses <c>--ensemble-weights</c> text: comma-separated numbers (invariant culture).</summary>
    public static double[] ParseWeights(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var weights = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]))
                throw UserError.InOption("ensemble-weights", $"'{parts[i]}' is not a number (give comma-separated weights, e.g. 1,1,2)");
        return weights;
    }

    /// <summary>Parses <c>--ensemble</c>: mean, min or weights.</summary>
    public static EnsembleCombiner ParseCombiner(string text) => text.Trim().ToLowerInvariant() switch
    {
        "mean" => EnsembleCombiner.Mean,
        "min" => EnsembleCombiner.Min,
        "weights" => EnsembleCombiner.Weights,
        _ => throw UserError.InOption("ensemble", $"'{text}' is not a combiner; use mean, min or weights"),
    };

    public static string Name(EnsembleCombiner combiner) => combiner.ToString().ToLowerInvariant();

    /// <summary>One sample's members' scores combined.</summary>
    public double Combine(ReadOnlySpan<double> scores)
    {
        switch (Combiner)
        {
            case EnsembleCombiner.Min:
            {
                double min = double.PositiveInfinity;
                foreach (double s in scores) min = Math.Min(min, s);
                return min;
            }
            case EnsembleCombiner.Weights:
            {
                double sum = 0, total = 0;
                for (int i = 0; i < scores.Length; i++)
                {
                    sum += Weights![i] * scores[i];
                    total += Weights[i];
                }
                return sum / total;
            }
            default:
            {
                double sum = 0;
                foreach (double s in scores) sum += s;
                return sum / scores.Length;
            }
        }
    }

    /// <summary>[samples] combined scores of <paramref name="members"/>[member][sample].</summary>
    public double[] Combine(IReadOnlyList<double[]> members)
    {
        if (members.Count == 0) throw new ArgumentException("no members", nameof(members));
        if (Weights is not null && Weights.Count != members.Count)
            throw new ArgumentException($"{members.Count} members for {Weights.Count} weights", nameof(members));
        int n = members[0].Length;
        if (members.Any(m => m.Length != n)) throw new ArgumentException("members scored different numbers of samples", nameof(members));
        var result = new double[n];
        var column = new double[members.Count];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < members.Count; i++) column[i] = members[i][j];
            result[j] = Combine(column);
        }
        return result;
    }

    /// <summary>Null where any member is null (a sample some member could not score), else the combination.</summary>
    public double?[] Combine(IReadOnlyList<double?[]> members)
    {
        int n = members[0].Length;
        var result = new double?[n];
        var column = new double[members.Count];
        for (int j = 0; j < n; j++)
        {
            bool all = true;
            for (int i = 0; i < members.Count && all; i++)
                if (members[i][j] is double s) column[i] = s;
                else all = false;
            result[j] = all ? Combine(column) : null;
        }
        return result;
    }

    /// <summary>What run.json records: the combiner, and the weights (as given and as used, summing to 1).</summary>
    public JsonObject Describe()
    {
        var json = new JsonObject { ["combiner"] = Name(Combiner) };
        json["rule"] = Combiner switch
        {
            EnsembleCombiner.Min => "min over members of each member's normalised score",
            EnsembleCombiner.Weights => "sum_i w_i s_i / sum_i w_i over each member's normalised score s_i",
            _ => "mean over members of each member's normalised score",
        };
        if (Weights is { } weights)
        {
            double total = weights.Sum();
            json["weights"] = new JsonArray(weights.Select(w => (JsonNode?)w).ToArray());
            json["weights_normalized"] = new JsonArray(weights.Select(w => (JsonNode?)(w / total)).ToArray());
        }
        return json;
    }
}
