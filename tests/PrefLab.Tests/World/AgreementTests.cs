using System.Text.Json.Nodes;
using PrefLab.World.Scoring;
using Xunit;

namespace PrefLab.Tests.World;

/// <summary>
/// Each dataset's agreement with gold, recomputed from the emitted files with the loaded world's judge (an
/// independent path from the generator's bookkeeping): it equals the manifest's figure, and it matches the
/// annotator's configured quality within sampling error. Tolerance: 3 standard errors of a proportion,
/// sqrt(E(1-E)/n), with n the independent units — pairs for one-pair-a-prompt datasets, prompts for the
/// multi-response ones (a prompt's pairs share responses, so counting prompts is the conservative choice).
/// A label-orientation bug would move agreement to 1 - E, far outside this band.
/// </summary>
[Collection("SmallWorld")]
public class AgreementTests(SmallWorldFixture world)
{
    sealed class Tally
    {
        public int Agree, Pairs;
        public void Add(double goldFirst, double goldSecond, bool? prefersFirst)
        {
            if (Math.Abs(goldFirst - goldSecond) < 1e-9 || prefersFirst is null) return;
            Pairs++;
            if (prefersFirst.Value == goldFirst > goldSecond) Agree++;
        }
        public double Rate => (double)Agree / Pairs;
    }

    double Gold(string prompt, string response) => world.Instance.Judge.Score(prompt, response).Overall;

    static string S(JsonNode? node) => node!.GetValue<string>();

    (Tally Tally, int Units) Recompute(string dataset, string by)
    {
        var rows = world.Rows($"preferences/{dataset}.jsonl");
        var tally = new Tally();
        switch (dataset)
        {
            case "hh":
                foreach (var r in rows)
                {
                    var (prompt, chosen) = EmittedTexts.Transcript(S(r["chosen"]));
                    var (samePrompt, rejected) = EmittedTexts.Transcript(S(r["rejected"]));
                    Assert.Equal(prompt, samePrompt);
                    tally.Add(Gold(prompt, chosen), Gold(prompt, rejected), true);
                }
                return (tally, rows.Count);
            case "pairwise":
                foreach (var r in rows) tally.Add(Gold(S(r["prompt"]), S(r["chosen"])), Gold(S(r["prompt"]), S(r["rejected"])), true);
                return (tally, rows.Count);
            case "shp":
                foreach (var r in rows)
                {
                    int label = r["labels"]!.GetValue<int>();
                    Assert.Equal(label == 1, r["score_A"]!.GetValue<int>() > r["score_B"]!.GetValue<int>());
                    tally.Add(Gold(S(r["history"]), S(r["human_ref_A"])), Gold(S(r["history"]), S(r["human_ref_B"])), label == 1);
                }
                return (tally, rows.Count);
            case "arena":
                foreach (var r in rows)
                {
                    string prompt = S(r["conversation_a"]![0]!["content"]);
                    string winner = S(r["winner"]);
                    Assert.Contains(winner, new[] { "model_a", "model_b", "tie", "tie (bothbad)" });
                    bool? prefersA = winner switch { "model_a" => true, "model_b" => false, _ => null };
                    tally.Add(Gold(prompt, S(r["conversation_a"]![1]!["content"])), Gold(prompt, S(r["conversation_b"]![1]!["content"])), prefersA);
                }
                return (tally, rows.Count);
            case "ultrafeedback":
                foreach (var r in rows)
                {
                    var completions = r["completions"]!.AsArray();
                    Assert.Equal(4, completions.Count);
                    var gold = completions.Select(c => Gold(S(r["instruction"]), S(c!["response"]))).ToList();
                    var rating = completions.Select(c =>
                    {
                        var aspects = c!["annotations"]!.AsObject();
                        Assert.Equal(["helpfulness", "honesty", "instruction_following", "truthfulness"], aspects.Select(a => a.Key));
                        double mean = aspects.Average(a => double.Parse(S(a.Value!["Rating"]), System.Globalization.CultureInfo.InvariantCulture));
                        Assert.Equal(mean, c["fine-grained_score"]!.GetValue<double>(), 9);
                        return by == "overall_score" ? c["overall_score"]!.GetValue<double>() : mean;
                    }).ToList();
                    for (int i = 0; i < 4; i++)
                        for (int j = i + 1; j < 4; j++)
                            tally.Add(gold[i], gold[j], rating[i] == rating[j] ? null : rating[i] > rating[j]);
                }
                return (tally, rows.Count);
            case "nectar":
                foreach (var r in rows)
                {
                    string prompt = EmittedTexts.NectarPrompt(S(r["prompt"]));
                    var answers = r["answers"]!.AsArray();
                    Assert.Equal(7, answers.Count);
                    Assert.Equal(Enumerable.Range(1, 7), answers.Select(a => a!["rank"]!.GetValue<int>()));
                    var gold = answers.Select(a => Gold(prompt, S(a!["answer"]))).ToList();
                    for (int i = 0; i < 7; i++)
                        for (int j = i + 1; j < 7; j++) tally.Add(gold[i], gold[j], true);
                }
                return (tally, rows.Count);
            case "helpsteer":
                var groups = rows.GroupBy(r => S(r["id"])[..^2]).ToList();
                foreach (var g in groups)
                {
                    var list = g.ToList();
                    var gold = list.Select(r => Gold(S(r["prompt"]), S(r["response"]))).ToList();
                    var help = list.Select(r => r["helpfulness"]!.GetValue<int>()).ToList();
                    Assert.All(list, r => Assert.InRange(r["verbosity"]!.GetValue<int>(), 0, 4));
                    for (int i = 0; i < list.Count; i++)
                        for (int j = i + 1; j < list.Count; j++) tally.Add(gold[i], gold[j], help[i] == help[j] ? null : help[i] > help[j]);
                }
                return (tally, groups.Count);
            default:
                throw new ArgumentException(dataset);
        }
    }

    [Theory]
    [InlineData("hh", "agreement", 0.28)]
    [InlineData("shp", "agreement", 0.32)]
    [InlineData("arena", "agreement", 0.2)]
    [InlineData("pairwise", "agreement", 0.05)]
    [InlineData("ultrafeedback", "agreement", -1)]
    [InlineData("ultrafeedback", "agreement_overall_score", -1)]
    [InlineData("nectar", "agreement", -1)]
    [InlineData("helpsteer", "agreement", -1)]
    public void Measured_agreement_matches_the_annotator_within_sampling_error(string dataset, string entry, double noise)
    {
        var stated = world.Manifest["datasets"]![dataset]![entry]!;
        string by = S(stated["by"]);
        var (tally, units) = Recompute(dataset, by);
        Assert.True(tally.Pairs >= 100, $"{dataset}: only {tally.Pairs} decisive pairs");
        Assert.Equal(stated["measured"]!.GetValue<double>(), Math.Round(tally.Rate, 4), 4);
        Assert.Equal(stated["pairs"]!.GetValue<int>(), tally.Pairs);

        double expected = stated["expected"]!.GetValue<double>();
        // Unbiased pairwise annotators: the configured quality is exactly 1 - noise.
        if (noise >= 0) Assert.Equal(1 - noise, expected, 6);
        double tolerance = 3 * Math.Sqrt(expected * (1 - expected) / units);
        Assert.True(Math.Abs(tally.Rate - expected) <= tolerance,
            $"{dataset} ({by}): measured {tally.Rate:F3}, expected {expected:F3} +- {tolerance:F3}");
    }

    [Fact]
    public void Quality_differs_along_the_designed_axes()
    {
        var datasets = world.Manifest["datasets"]!;
        double Expected(string d, string e = "agreement") => datasets[d]![e]!["expected"]!.GetValue<double>();
        // Label noise orders the plain pairwise datasets.
        Assert.True(Expected("pairwise") > Expected("arena") && Expected("arena") > Expected("hh") && Expected("hh") > Expected("shp"));
        // Averaging four aspect ratings tracks gold better than the one overall score.
        Assert.True(Expected("ultrafeedback") > Expected("ultrafeedback", "agreement_overall_score") + 0.01);
        // The length-biased ranker prefers the longer answer more often than not.
        Assert.True(datasets["nectar"]!["chosen_longer"]!.GetValue<double>() > 0.55);
        Assert.True(datasets["pairwise"]!["chosen_longer"]!.GetValue<double>() < datasets["nectar"]!["chosen_longer"]!.GetValue<double>());
    }
}
