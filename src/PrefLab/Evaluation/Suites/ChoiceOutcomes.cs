using System.Text.Json.Nodes;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// Multiple-choice items scored by log-likelihood: the item's score is 1 when the option picked under the headline
/// normalisation is the right one, else 0; the per-item metrics hold the pick under every normalisation
/// (<c>mc_raw</c>, <c>mc_per_token</c>, <c>mc_per_char</c>) and the fields each option's log-likelihood and length.
/// </summary>
public static class ChoiceOutcomes
{
    public const string Raw = "mc_raw";
    public const string PerToken = "mc_per_token";
    public const string PerChar = "mc_per_char";

    public static string MetricName(ChoiceNormalization normalization) => normalization switch
    {
        ChoiceNormalization.None => Raw,
        ChoiceNormalization.PerToken => PerToken,
        _ => PerChar,
    };

    public static string Describe(ChoiceNormalization normalization) => normalization switch
    {
        ChoiceNormalization.None => "summed log-likelihood",
        ChoiceNormalization.PerToken => "log-likelihood per token",
        _ => "log-likelihood per character",
    };

    public static ItemOutcome Score(IReadOnlyList<string> options, IReadOnlyList<ChoiceLikelihood> likelihoods, int gold,
        ChoiceNormalization headline, JsonObject? fields = null)
    {
        var result = MultipleChoice.Score(likelihoods, gold);
        fields ??= new JsonObject();
        fields["choices"] = new JsonArray(options.Select(o => (JsonNode)o).ToArray());
        fields["answer"] = gold;
        fields["log_likelihoods"] = new JsonArray(likelihoods.Select(c => (JsonNode)c.LogLikelihood).ToArray());
        fields["token_counts"] = new JsonArray(likelihoods.Select(c => (JsonNode)c.TokenCount).ToArray());
        fields["char_counts"] = new JsonArray(likelihoods.Select(c => (JsonNode)c.CharCount).ToArray());
        fields["picked"] = new JsonObject
        {
            ["raw"] = result.PickedRaw,
            ["per_token"] = result.PickedPerToken,
            ["per_char"] = result.PickedPerCharacter,
        };
        fields["normalization"] = MetricName(headline);
        var metrics = new Dictionary<string, double>
        {
            [Raw] = result.Score(ChoiceNormalization.None),
            [PerToken] = result.Score(ChoiceNormalization.PerToken),
            [PerChar] = result.Score(ChoiceNormalization.PerCharacter),
        };
        return new ItemOutcome(result.Score(headline), options[result.Picked(headline)], metrics, fields);
    }

    /// <summary>Accuracy under each normalisation over the multiple-choice items among <paramref name="items"/>.</summary>
    public static IEnumerable<MetricEstimate> Summaries(IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap)
    {
        foreach (var (name, description) in new[]
        {
            (Raw, "multiple-choice accuracy, summed log-likelihood (acc)"),
            (PerToken, "multiple-choice accuracy, log-likelihood per token"),
            (PerChar, "multiple-choice accuracy, log-likelihood per character (acc_norm)"),
        })
        {
            var values = items.Where(i => i.Metrics.ContainsKey(name)).Select(i => i.Metrics[name]).ToList();
            if (values.Count > 0) yield return new MetricEstimate(name, description, Bootstrap.Mean(values, bootstrap));
        }
    }

    /// <summary>The character count used by per-character normalisation: the option as written, at least 1.</summary>
    public static int CharCount(string option) => Math.Max(1, option.Length);
}
