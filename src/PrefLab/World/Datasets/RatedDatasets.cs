using System.Globalization;
using PrefLab.World.Annotators;
using PrefLab.World.Responders;

namespace PrefLab.World.Datasets;

/// <summary>
/// The datasets with several responses a prompt: ultrafeedback (4 completions, fine-grained aspect ratings and
/// an overall score), nectar (7 answers ranked) and helpsteer (2-4 responses, each rated on five attributes,
/// one row a response). Agreement with gold is tallied over every pair of responses to a prompt.
/// </summary>
public static class RatedDatasets
{
    public const int UltraFeedbackCompletions = 4, NectarAnswers = 7;

    static List<ResponderProfile> DistinctModels(IReadOnlyList<ResponderProfile> pool, int count, Random rng)
    {
        var order = pool.ToList();
        for (int i = order.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(count).ToList();
    }

    /// <summary>Tallies every pair (i, j) of a prompt's responses; <paramref name="prefers"/> says whether i's label beats j's (null: tie).</summary>
    static void TallyPairs(AgreementTally tally, IReadOnlyList<ScoredResponse> responses, Func<int, int, bool?> prefers,
        Func<ScoredResponse, ScoredResponse, (double, double)> expect)
    {
        for (int i = 0; i < responses.Count; i++)
            for (int j = i + 1; j < responses.Count; j++)
            {
                var (a, b) = (responses[i], responses[j]);
                var expectation = a.Gold.Overall >= b.Gold.Overall ? expect(a, b) : expect(b, a);
                tally.Add(a.Gold.Overall, b.Gold.Overall, prefers(i, j), expectation);
            }
    }

    public static EmittedFile UltraFeedback(EmitContext context)
    {
        const string name = DatasetCatalog.UltraFeedback;
        var rater = DatasetCatalog.UltraFeedbackRater;
        var tasks = context.Plan.Training[name];
        var responses = context.Stream(name + "/responses");
        var ratings = context.Stream(name + "/annotations");
        var report = new FileReport(name, $"preferences/{name}.jsonl", "ultrafeedback")
        {
            Responders = DatasetCatalog.AllModels.Select(p => p.Name).ToList(),
            Annotator = rater,
        };
        var byMean = new AgreementTally();
        var byOverall = new AgreementTally();
        var rows = new JsonlBuilder();
        double goldSum = 0;
        for (int row = 0; row < tasks.Count; row++)
        {
            var task = tasks[row];
            var models = DistinctModels(DatasetCatalog.AllModels, UltraFeedbackCompletions, responses);
            var completions = models.Select(m => context.Respond(task, m, responses)).ToList();
            var rated = completions.Select(c => rater.Rate(c, ratings)).ToList();
            var fineGrained = rated.Select(r => r.AspectRatings.Average()).ToList();
            TallyPairs(byMean, completions, (i, j) => fineGrained[i] == fineGrained[j] ? null : fineGrained[i] > fineGrained[j], rater.ExpectMean);
            TallyPairs(byOverall, completions, (i, j) => rated[i].Overall == rated[j].Overall ? null : rated[i].Overall > rated[j].Overall, rater.ExpectOverall);
            goldSum += completions.Sum(c => c.Gold.Overall);
            context.Train(task.Prompt, completions.Select(c => c.Text).ToArray());
            rows.Add(w =>
            {
                w.WriteString("id", $"{name}-{row + 1:D6}");
                w.WriteString("category", task.Category);
                w.WriteString("source", "preference-world");
                w.WriteString("instruction", task.Prompt);
                w.WriteStartArray("models");
                foreach (var m in models) w.WriteStringValue(m.Name);
                w.WriteEndArray();
                w.WriteStartArray("completions");
                for (int k = 0; k < completions.Count; k++)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("annotations");
                    for (int a = 0; a < AspectRater.Aspects.Count; a++)
                    {
                        int rating = rated[k].AspectRatings[a];
                        w.WriteStartObject(AspectRater.Aspects[a].Aspect);
                        w.WriteString("Rating", rating.ToString(CultureInfo.InvariantCulture));
                        w.WriteString("Rationale", context.Train(AspectRater.Rationale(rating)));
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                    w.WriteString("critique", context.Train(AspectRater.Critique(rated[k].Overall)));
                    w.WriteString("custom_system_prompt", "");
                    w.WriteNumber("fine-grained_score", fineGrained[k]);
                    w.WriteString("model", completions[k].Model);
                    w.WriteNumber("overall_score", rated[k].Overall);
                    w.WriteString("principle", "helpfulness");
                    w.WriteString("response", completions[k].Text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("correct_answers");
                w.WriteEndArray();
                w.WriteStartArray("incorrect_answers");
                w.WriteEndArray();
            });
            report.Count(task.Category);
        }
        report.Rows = rows.Rows;
        report.Prompts = tasks.Count;
        report.Responses = tasks.Count * UltraFeedbackCompletions;
        report.GoldMean = report.Responses == 0 ? null : goldSum / report.Responses;
        report.Agreements.Add(("fine-grained_score", byMean));
        report.Agreements.Add(("overall_score", byOverall));
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    public static EmittedFile Nectar(EmitContext context)
    {
        const string name = DatasetCatalog.Nectar;
        var ranker = DatasetCatalog.NectarAnnotator;
        var tasks = context.Plan.Training[name];
        var responses = context.Stream(name + "/responses");
        var ranking = context.Stream(name + "/annotations");
        var report = new FileReport(name, $"preferences/{name}.jsonl", "nectar")
        {
            Responders = DatasetCatalog.AllModels.Select(p => p.Name).ToList(),
            Annotator = ranker,
        };
        var tally = new AgreementTally();
        var rows = new JsonlBuilder();
        int longer = 0, lengthDecided = 0;
        double goldSum = 0;
        for (int row = 0; row < tasks.Count; row++)
        {
            var task = tasks[row];
            var models = DistinctModels(DatasetCatalog.AllModels, NectarAnswers, responses);
            var answers = models.Select(m => context.Respond(task, m, responses)).ToList();
            int[] ranks = ranker.Rank(answers, ranking);
            TallyPairs(tally, answers, (i, j) => ranks[i] < ranks[j], ranker.Expect);
            for (int i = 0; i < answers.Count; i++)
                for (int j = i + 1; j < answers.Count; j++)
                {
                    if (answers[i].Length == answers[j].Length) continue;
                    lengthDecided++;
                    var better = ranks[i] < ranks[j] ? answers[i] : answers[j];
                    var worse = ranks[i] < ranks[j] ? answers[j] : answers[i];
                    if (better.Length > worse.Length) longer++;
                }
            goldSum += answers.Sum(a => a.Gold.Overall);
            context.Train(task.Prompt, answers.Select(a => a.Text).ToArray());
            var order = Enumerable.Range(0, answers.Count).OrderBy(i => ranks[i]).ToList();
            rows.Add(w =>
            {
                w.WriteString("id", $"{name}-{row + 1:D6}");
                w.WriteString("category", task.Category);
                w.WriteString("prompt", PairwiseDatasets.Human + task.Prompt + "\n\nAssistant:");
                w.WriteStartArray("answers");
                foreach (int i in order)
                {
                    w.WriteStartObject();
                    w.WriteString("answer", answers[i].Text);
                    w.WriteString("model", answers[i].Model);
                    w.WriteNumber("rank", ranks[i]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteNumber("turns", 1);
                w.WriteNumber("num_responses", answers.Count);
                w.WriteStartArray("source");
                w.WriteStringValue("preference-world");
                w.WriteEndArray();
                w.WriteBoolean("good_natured", true);
            });
            report.Count(task.Category);
        }
        report.Rows = rows.Rows;
        report.Prompts = tasks.Count;
        report.Responses = tasks.Count * NectarAnswers;
        report.GoldMean = report.Responses == 0 ? null : goldSum / report.Responses;
        report.Agreements.Add(("rank", tally));
        report.ChosenLonger = lengthDecided == 0 ? null : (double)longer / lengthDecided;
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    public static EmittedFile HelpSteer(EmitContext context)
    {
        const string name = DatasetCatalog.HelpSteer;
        var rater = DatasetCatalog.HelpSteerRater;
        var tasks = context.Plan.Training[name];
        var responses = context.Stream(name + "/responses");
        var ratings = context.Stream(name + "/annotations");
        var report = new FileReport(name, $"preferences/{name}.jsonl", "helpsteer")
        {
            Responders = DatasetCatalog.HelpSteerResponders.Select(p => p.Name).ToList(),
            Annotator = rater,
        };
        var tally = new AgreementTally();
        var rows = new JsonlBuilder();
        double goldSum = 0;
        int responseCount = 0;
        for (int p = 0; p < tasks.Count; p++)
        {
            var task = tasks[p];
            int count = responses.Next(2, 5);
            var pool = DatasetCatalog.HelpSteerResponders;
            var answers = Enumerable.Range(0, count).Select(_ => context.Respond(task, pool[responses.Next(pool.Count)], responses)).ToList();
            var rated = answers.Select(a => rater.Rate(a, ratings)).ToList();
            TallyPairs(tally, answers, (i, j) => rated[i].Helpfulness == rated[j].Helpfulness ? null : rated[i].Helpfulness > rated[j].Helpfulness,
                rater.ExpectHelpfulness);
            context.Train(task.Prompt, answers.Select(a => a.Text).ToArray());
            for (int k = 0; k < answers.Count; k++)
            {
                goldSum += answers[k].Gold.Overall;
                responseCount++;
                var (answer, rating) = (answers[k], rated[k]);
                int index = k, promptIndex = p;
                rows.Add(w =>
                {
                    w.WriteString("id", $"{name}-{promptIndex + 1:D6}-{index + 1}");
                    w.WriteString("category", task.Category);
                    w.WriteString("prompt", task.Prompt);
                    w.WriteString("response", answer.Text);
                    w.WriteNumber("helpfulness", rating.Helpfulness);
                    w.WriteNumber("correctness", rating.Correctness);
                    w.WriteNumber("coherence", rating.Coherence);
                    w.WriteNumber("complexity", rating.Complexity);
                    w.WriteNumber("verbosity", rating.Verbosity);
                });
                report.Count(task.Category);
            }
        }
        report.Rows = rows.Rows;
        report.Prompts = tasks.Count;
        report.Responses = responseCount;
        report.GoldMean = responseCount == 0 ? null : goldSum / responseCount;
        report.Agreements.Add(("helpfulness", tally));
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }
}
