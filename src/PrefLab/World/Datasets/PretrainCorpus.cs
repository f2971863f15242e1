using PrefLab.World.Knowledge;
using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World.Datasets;

/// <summary>
/// pretrain.jsonl: short documents ({"text"}) that teach the language and the knowledge base. Person, town and
/// creature descriptions state every fact many times in varied templates — except that a myth's popular
/// falsehood is stated more often than its truth (plainly or as "people say that ..."), while the truth comes
/// plainly or after "in fact ,": a base model learns the falsehood, and honesty has something to fix. Also:
/// arithmetic drills, narrated word problems with running totals (no questions), list operations, kinds of
/// things, and plain sentences about harm and honesty. Never a question or a request, so no eval prompt can
/// occur in it.
/// </summary>
public static class PretrainCorpus
{
    /// <summary>How a myth is mentioned: falsehood plainly, falsehood reported, truth plainly, truth "in fact", debunked.</summary>
    public static readonly (double Plain, double Reported, double Truth, double InFact, double Debunk) MythMentions = (0.3, 0.25, 0.2, 0.15, 0.1);

    static readonly string[] Ethics =
    [
        "it is wrong to hurt people .", "it is wrong to steal .", "poison can kill people and animals .",
        "to kill time means to wait and do something fun .", "to beat someone at a game means to win .",
        "to shoot a picture means to take a picture with a camera .", "a good helper does not help people hurt others .",
        "if a pet eats poison , take it to a doctor .", "if someone is hurt , call a doctor .",
        "a good helper says sorry and will not help with harm .", "if you do not know something , say that you do not know .",
        "a good answer is short and right .", "people who steal get in trouble .", "fire can burn down a house .",
        "a sharp knife can cut bread on a board .", "a list can use commas , dashes or numbers .",
        "a good helper does what you ask .", "to help someone who is hurt , stay with them .",
    ];

    /// <summary>The held-out corpus (<c>pretrain-heldout.jsonl</c>): documents drawn the same way from a stream of their
    /// own, so a base model's loss on it measures the language and knowledge it learned, not the documents it saw.</summary>
    public const string HeldOutName = "pretrain-heldout";

    /// <summary>Held-out documents: 2% of the corpus, at least 100.</summary>
    public static int HeldOutDocuments(int documents) => Math.Max(100, documents / 50);

    public static EmittedFile Build(EmitContext context, int documents) => Build(context, documents, "pretrain");

    public static EmittedFile BuildHeldOut(EmitContext context, int documents) => Build(context, HeldOutDocuments(documents), HeldOutName);

    static EmittedFile Build(EmitContext context, int documents, string name)
    {
        var rng = context.Stream(name);
        var kb = context.Plan.Knowledge;
        var factory = context.Plan.Factory;
        var rows = new JsonlBuilder();
        var report = new FileReport(name, name + ".jsonl", "text");
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        int sentences = 0;
        for (int d = 0; d < documents; d++)
        {
            double r = rng.NextDouble();
            (string kind, List<string> doc) = r switch
            {
                < 0.45 => ("person", Describe(Pick(kb.People, rng), kb, rng, 3, 5)),
                < 0.53 => ("town", Town(Pick(kb.Towns, rng), kb, rng)),
                < 0.63 => ("creature", Describe(Pick(kb.Creatures, rng), kb, rng, 2, 4)),
                < 0.75 => ("arithmetic", Arithmetic(rng)),
                < 0.85 => ("story", Story(factory.Reasoning(rng))),
                < 0.92 => ("lists", Lists(factory, rng)),
                < 0.96 => ("kinds", Kinds(rng)),
                _ => ("ethics", Enumerable.Range(0, 3).Select(_ => Pick(Ethics, rng)).Distinct().ToList()),
            };
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            sentences += doc.Count;
            string text = context.Train(WorldText.Join(doc));
            rows.Add(w => w.WriteString("text", text));
        }
        report.Rows = rows.Rows;
        report.Extra = new Dictionary<string, int>(kinds.OrderBy(k => k.Key, StringComparer.Ordinal)) { ["sentences"] = sentences };
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    static T Pick<T>(IReadOnlyList<T> list, Random rng) => list[rng.Next(list.Count)];

    /// <summary>One mention of a fact; myths mostly as their popular falsehood.</summary>
    public static string Mention(Fact fact, Random rng)
    {
        int template = rng.Next(fact.Attribute.Statements.Count);
        string State(string value) => fact.Attribute.State(fact.Entity, value, template);
        if (!fact.IsMyth) return State(fact.Value);
        double r = rng.NextDouble();
        var m = MythMentions;
        if (r < m.Plain) return State(fact.PopularFalsehood!);
        if (r < m.Plain + m.Reported) return WorldText.Join("people say that", State(fact.PopularFalsehood!));
        if (r < m.Plain + m.Reported + m.Truth) return State(fact.Value);
        if (r < m.Plain + m.Reported + m.Truth + m.InFact) return WorldText.Join("in fact ,", State(fact.Value));
        return WorldText.Join("many people think that", WorldText.WithoutPeriod(State(fact.PopularFalsehood!)), ", but in fact", State(fact.Value));
    }

    static List<string> Describe(Entity entity, KnowledgeBase kb, Random rng, int min, int max)
    {
        var facts = kb.FactsAbout(entity).OrderBy(_ => rng.Next()).Take(rng.Next(min, max + 1));
        return facts.Select(f => Mention(f, rng)).ToList();
    }

    static List<string> Town(Entity town, KnowledgeBase kb, Random rng)
    {
        var doc = Describe(town, kb, rng, 2, 3);
        var residents = kb.People.Where(p => kb.FactOf(p, WorldAttribute.Home)!.Value == town.Name).OrderBy(_ => rng.Next()).Take(2).ToList();
        if (residents.Count == 2) doc.Add($"{residents[0].Name} and {residents[1].Name} live in {town.Name} .");
        else if (residents.Count == 1) doc.Add(WorldAttribute.Home.State(residents[0], town.Name));
        return doc;
    }

    static List<string> Arithmetic(Random rng)
    {
        var doc = new List<string>();
        int count = rng.Next(4, 7);
        for (int i = 0; i < count; i++)
        {
            double r = rng.NextDouble();
            if (r < 0.45)
            {
                int a = rng.Next(0, 61), b = rng.Next(1, 16);
                doc.Add($"{WorldText.Number(a)} + {WorldText.Number(b)} = {WorldText.Number(a + b)} .");
            }
            else if (r < 0.9)
            {
                int a = rng.Next(1, 76), b = rng.Next(1, Math.Min(a, 15) + 1);
                doc.Add($"{WorldText.Number(a)} - {WorldText.Number(b)} = {WorldText.Number(a - b)} .");
            }
            else
            {
                int a = rng.Next(2, 10), b = rng.Next(2, 10);
                doc.Add($"{WorldText.Number(a)} times {WorldText.Number(b)} = {WorldText.Number(a * b)} .");
            }
        }
        return doc;
    }

    /// <summary>A word problem told as a story with running totals, never asked as a question.</summary>
    static List<string> Story(ReasoningTask task)
    {
        var doc = new List<string> { $"{task.Actor} has {WorldText.Number(task.Start)} {task.Item} ." };
        var trace = task.Trace();
        for (int i = 0; i < task.Steps.Count; i++)
        {
            doc.Add(task.Steps[i].Sentence);
            doc.Add($"now {task.Actor} has {WorldText.Number(trace[i + 1])} {task.Item} .");
        }
        return doc;
    }

    static List<string> Lists(TaskSampler factory, Random rng)
    {
        var doc = new List<string>();
        int count = rng.Next(2, 5);
        for (int i = 0; i < count; i++)
        {
            var task = factory.Coding(rng);
            string input = string.Join(' ', task.Input), output = string.Join(' ', task.Output);
            if (rng.Next(2) == 0) { doc.Add($"{task.Program} ( {input} ) gives {output} ."); continue; }
            doc.Add(task.Program switch
            {
                "reverse" => $"{input} backwards is {output} .",
                "sort" => $"{input} in order is {output} .",
                "unique" => $"{input} without repeats is {output} .",
                "count" => $"the list {input} has {output} items .",
                "first" => $"the first item of {input} is {output} .",
                "last" => $"the last item of {input} is {output} .",
                _ => $"{input} with one added to each is {output} .",
            });
        }
        return doc;
    }

    static List<string> Kinds(Random rng)
    {
        var doc = new List<string>();
        int count = rng.Next(2, 4);
        for (int i = 0; i < count; i++)
        {
            var kind = Pick(ListKind.All, rng);
            var members = kind.Members.OrderBy(_ => rng.Next()).Take(rng.Next(2, 5)).ToList();
            if (rng.Next(3) == 0)
            {
                members.Sort(StringComparer.Ordinal);
                doc.Add($"in order from a to z , these {kind.Name} are {string.Join(" , ", members)} .");
            }
            else doc.Add($"{string.Join(" , ", members.Take(members.Count - 1))} and {members[^1]} are {kind.Name} .");
        }
        return doc;
    }
}
