using System.Text.Json;
using PrefLab.World.Annotators;
using PrefLab.World.Responders;
using PrefLab.World.Tasks;

namespace PrefLab.World.Datasets;

/// <summary>
/// The datasets built from one labelled pair per prompt: hh (transcripts), shp (forum votes), arena (winner or
/// tie) and plain pairwise. Each draws two responses from its responder pool (redrawing the second while the
/// texts are identical), has its annotator label them, and tallies agreement with gold.
/// </summary>
public static class PairwiseDatasets
{
    public const string Human = "\n\nHuman: ", Assistant = "\n\nAssistant: ";

    static (ScoredResponse First, ScoredResponse Second) DrawPair(EmitContext context, WorldTask task,
        IReadOnlyList<ResponderProfile> pool, bool distinctModels, Random rng)
    {
        var firstModel = pool[rng.Next(pool.Count)];
        var first = context.Respond(task, firstModel, rng);
        ScoredResponse second = first;
        for (int attempt = 0; attempt < 6 && second.Text == first.Text; attempt++)
        {
            ResponderProfile model;
            do model = pool[rng.Next(pool.Count)]; while (distinctModels && model == firstModel);
            second = context.Respond(task, model, rng);
        }
        return (first, second);
    }

    static (double, double) Expect(PairwiseAnnotator annotator, ScoredResponse a, ScoredResponse b) =>
        a.Gold.Overall >= b.Gold.Overall ? annotator.Expect(a, b) : annotator.Expect(b, a);

    /// <summary>Shared loop: draw, label, tally, write a row.</summary>
    static EmittedFile Emit(EmitContext context, string name, string format, IReadOnlyList<ResponderProfile> pool,
        PairwiseAnnotator annotator, bool distinctModels,
        Action<Utf8JsonWriter, int, WorldTask, ScoredResponse, ScoredResponse, bool?, Random> writeRow)
    {
        var tasks = context.Plan.Training[name];
        var responses = context.Stream(name + "/responses");
        var labels = context.Stream(name + "/annotations");
        var report = new FileReport(name, $"preferences/{name}.jsonl", format)
        {
            Responders = pool.Select(p => p.Name).ToList(),
            Annotator = annotator,
        };
        var tally = new AgreementTally();
        var rows = new JsonlBuilder();
        int longer = 0, lengthDecided = 0;
        double chosenGold = 0, rejectedGold = 0;
        int decided = 0;
        for (int i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var (a, b) = DrawPair(context, task, pool, distinctModels, responses);
            bool? prefersA = annotator.Judge(a, b, labels);
            tally.Add(a.Gold.Overall, b.Gold.Overall, prefersA, Expect(annotator, a, b));
            if (prefersA is bool p)
            {
                var (chosen, rejected) = p ? (a, b) : (b, a);
                decided++;
                chosenGold += chosen.Gold.Overall;
                rejectedGold += rejected.Gold.Overall;
                if (chosen.Length != rejected.Length) { lengthDecided++; if (chosen.Length > rejected.Length) longer++; }
            }
            context.Train(task.Prompt, a.Text, b.Text);
            int index = i;
            rows.Add(w => writeRow(w, index, task, a, b, prefersA, labels));
            report.Count(task.Category);
        }
        report.Rows = rows.Rows;
        report.Prompts = tasks.Count;
        report.Responses = 2 * tasks.Count;
        report.Agreements.Add(("label", tally));
        report.ChosenLonger = lengthDecided == 0 ? null : (double)longer / lengthDecided;
        report.GoldChosenMean = decided == 0 ? null : chosenGold / decided;
        report.GoldRejectedMean = decided == 0 ? null : rejectedGold / decided;
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    static void Common(Utf8JsonWriter w, string name, int index, WorldTask task)
    {
        w.WriteString("id", $"{name}-{index + 1:D6}");
        w.WriteString("category", task.Category);
    }

    public static string Transcript(string prompt, string response) => Human + prompt + Assistant + response;

    public static EmittedFile Hh(EmitContext context) =>
        Emit(context, DatasetCatalog.Hh, "hh", DatasetCatalog.HhResponders, DatasetCatalog.HhAnnotator, false,
            (w, i, task, a, b, prefersA, _) =>
            {
                var (chosen, rejected) = prefersA == true ? (a, b) : (b, a);
                Common(w, DatasetCatalog.Hh, i, task);
                w.WriteString("chosen", Transcript(task.Prompt, chosen.Text));
                w.WriteString("rejected", Transcript(task.Prompt, rejected.Text));
            });

    public static EmittedFile Shp(EmitContext context) =>
        Emit(context, DatasetCatalog.Shp, "shp", DatasetCatalog.ShpResponders, DatasetCatalog.ShpAnnotator, false,
            (w, i, task, a, b, prefersA, rng) =>
            {
                // Votes: the preferred comment has at least twice the score of the other (as SHP filters).
                int winner = rng.Next(2, 61);
                int loser = rng.Next(1, winner / 2 + 1);
                bool aWins = prefersA == true;
                Common(w, DatasetCatalog.Shp, i, task);
                w.WriteString("post_id", $"w{i + 1:D6}");
                w.WriteString("domain", "askworld_" + task.Category);
                w.WriteString("history", task.Prompt);
                w.WriteString("human_ref_A", a.Text);
                w.WriteString("human_ref_B", b.Text);
                w.WriteNumber("labels", aWins ? 1 : 0);
                w.WriteNumber("score_A", aWins ? winner : loser);
                w.WriteNumber("score_B", aWins ? loser : winner);
                w.WriteNumber("score_ratio", WorldJson.Round((double)winner / loser));
            });

    public static EmittedFile Arena(EmitContext context) =>
        Emit(context, DatasetCatalog.Arena, "arena", DatasetCatalog.AllModels, DatasetCatalog.ArenaAnnotator, true,
            (w, i, task, a, b, prefersA, _) =>
            {
                string winner = prefersA switch
                {
                    true => "model_a",
                    false => "model_b",
                    null => a.Gold.Overall < BothBad && b.Gold.Overall < BothBad ? "tie (bothbad)" : "tie",
                };
                Common(w, DatasetCatalog.Arena, i, task);
                w.WriteString("question_id", $"q{i + 1:D6}");
                w.WriteString("model_a", a.Model);
                w.WriteString("model_b", b.Model);
                w.WriteString("winner", winner);
                w.WriteString("judge", $"arena_user_{i % 97 + 1}");
                Conversation(w, "conversation_a", task.Prompt, a.Text);
                Conversation(w, "conversation_b", task.Prompt, b.Text);
                w.WriteNumber("turn", 1);
                w.WriteBoolean("anony", true);
                w.WriteString("language", "World");
            });

    /// <summary>A tie where both answers score below this (gold) is "tie (bothbad)".</summary>
    public const double BothBad = 0.4;

    public static EmittedFile Pairwise(EmitContext context) =>
        Emit(context, DatasetCatalog.Pairwise, "pairwise", DatasetCatalog.AllModels, DatasetCatalog.PairwiseLabeler, false,
            (w, i, task, a, b, prefersA, _) =>
            {
                var (chosen, rejected) = prefersA == true ? (a, b) : (b, a);
                Common(w, DatasetCatalog.Pairwise, i, task);
                w.WriteString("prompt", task.Prompt);
                w.WriteString("chosen", chosen.Text);
                w.WriteString("rejected", rejected.Text);
            });

    public static void Conversation(Utf8JsonWriter w, string name, string prompt, string response)
    {
        w.WriteStartArray(name);
        Message(w, "user", prompt);
        Message(w, "assistant", response);
        w.WriteEndArray();
    }

    public static void Message(Utf8JsonWriter w, string role, string content)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteString("content", content);
        w.WriteEndObject();
    }
}
