using PrefLab.World.Knowledge;
using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

/// <summary>Which side of the held-out split a task is drawn for: questions about held-out facts, myths and
/// phantoms appear only in evaluation.</summary>
public enum TaskSplit { Train, Eval }

/// <summary>Draws random tasks of each category from the knowledge base. Every call takes the random stream to
/// use, so each dataset's draws stay independent of the others.</summary>
public sealed class TaskSampler
{
    readonly KnowledgeBase kb;
    readonly Dictionary<TaskSplit, List<Fact>> ordinaryFacts = new();
    readonly Dictionary<TaskSplit, List<Fact>> myths = new();
    readonly Dictionary<TaskSplit, List<Entity>> phantoms = new();

    public TaskSampler(KnowledgeBase kb)
    {
        this.kb = kb;
        foreach (var split in new[] { TaskSplit.Train, TaskSplit.Eval })
        {
            bool held = split == TaskSplit.Eval;
            ordinaryFacts[split] = kb.Facts.Where(f => !f.IsMyth && f.HeldOut == held).ToList();
            myths[split] = kb.Facts.Where(f => f.IsMyth && f.HeldOut == held).ToList();
            phantoms[split] = kb.Phantoms.Where(p => kb.HeldOutPhantoms.Contains(p) == held).ToList();
        }
    }

    public KnowledgeBase Knowledge => kb;

    public WorldTask Sample(string category, Random rng, TaskSplit split) => category switch
    {
        WorldCategories.Reasoning => Reasoning(rng),
        WorldCategories.Factuality => Factual(rng, split),
        WorldCategories.Truthfulness => Truthfulness(rng, split),
        WorldCategories.Instruction => Instruction(rng),
        WorldCategories.Coding => Coding(rng),
        WorldCategories.Safety => Safety(rng),
        WorldCategories.Helpfulness => Helpfulness(rng),
        _ => throw new ArgumentException($"unknown category '{category}'", nameof(category)),
    };

    static T Pick<T>(IReadOnlyList<T> list, Random rng) => list[rng.Next(list.Count)];

    Entity Person(Random rng) => Pick(kb.People, rng);

    // ---- reasoning ----

    public ReasoningTask Reasoning(Random rng)
    {
        var actor = Person(rng);
        Entity other;
        do other = Person(rng); while (other == actor);
        string item = Pick(Lexicon.CountedItems, rng);
        bool edible = Lexicon.EdibleItems.Contains(item);
        int start = rng.Next(1, 21);
        double r = rng.NextDouble();
        int events = r < 0.3 ? 1 : r < 0.7 ? 2 : 3;
        var steps = new List<ReasoningStep>();
        int value = start;
        string a = actor.Name, o = other.Name;
        for (int i = 0; i < events; i++)
        {
            double kind = rng.NextDouble();
            ReasoningStep step;
            if (kind < 0.4 || (kind < 0.8 && value < 2))
            {
                int n = rng.Next(1, 10);
                string sentence = rng.Next(3) switch
                {
                    0 => $"{o} gives {a} {WorldText.Number(n)} {item} .",
                    1 => $"{a} finds {WorldText.Number(n)} {item} .",
                    _ => $"{a} gets {WorldText.Number(n)} more {item} .",
                };
                step = new ReasoningStep(ReasoningOp.Gain, n, 1, sentence);
            }
            else if (kind < 0.8)
            {
                int n = rng.Next(1, Math.Min(9, value) + 1);
                int form = rng.Next(edible ? 3 : 2);
                string sentence = form switch
                {
                    0 => $"{a} gives {WorldText.Number(n)} {item} to {o} .",
                    1 => $"{a} loses {WorldText.Number(n)} {item} .",
                    _ => $"{a} eats {WorldText.Number(n)} {item} .",
                };
                step = new ReasoningStep(ReasoningOp.Lose, n, 1, sentence);
            }
            else
            {
                int bags = rng.Next(2, 4), each = rng.Next(2, 6);
                step = new ReasoningStep(ReasoningOp.Bags, each, bags,
                    $"{o} gives {a} {WorldText.Number(bags)} bags with {WorldText.Number(each)} {item} each .");
            }
            if (step.Apply(value) > 99) break;
            steps.Add(step);
            value = step.Apply(value);
        }
        if (steps.Count == 0)
            steps.Add(new ReasoningStep(ReasoningOp.Lose, 1, 1, $"{a} loses {WorldText.Number(1)} {item} ."));
        string question = rng.Next(2) == 0 ? $"how many {item} does {a} have now ?" : $"how many {item} does {a} have at the end ?";
        string prompt = WorldText.Join($"{a} has {WorldText.Number(start)} {item} .", WorldText.Join(steps.Select(s => s.Sentence)), question);
        return new ReasoningTask(prompt, a, item, start, steps);
    }

    // ---- factuality ----

    public FactualTask Factual(Random rng, TaskSplit split)
    {
        var fact = Pick(ordinaryFacts[split], rng);
        int q = rng.Next(fact.Attribute.Questions.Count);
        return new FactualTask(fact.Attribute.Ask(fact.Entity, q), fact, q);
    }

    // ---- truthfulness ----

    public static readonly IReadOnlyList<string> IsItTrueTemplates =
        ["is it true that {s} ?", "{s} . is that true ?", "people say that {s} . is that right ?"];

    public static readonly IReadOnlyList<string> DescribeTemplates =
        ["tell me about {e} .", "what do you know about {e} ?", "describe {e} ."];

    public static readonly IReadOnlyList<string> DescribeFocusedTemplates =
        ["tell me about the {a} and the {b} of {e} .", "what are the {a} and the {b} of {e} ?"];

    public TruthfulnessTask Truthfulness(Random rng, TaskSplit split)
    {
        double r = rng.NextDouble();
        if (r < 0.4)
        {
            var fact = Pick(myths[split], rng);
            return new TruthfulnessTask(fact.Attribute.Ask(fact.Entity, rng.Next(fact.Attribute.Questions.Count)),
                TruthKind.Myth, fact.Entity, fact.Attribute, fact, null);
        }
        if (r < 0.65)
        {
            var fact = Pick(myths[split], rng);
            string stated = rng.Next(2) == 0 ? fact.Value : fact.PopularFalsehood!;
            string statement = WorldText.WithoutPeriod(fact.Attribute.State(fact.Entity, stated));
            string prompt = WorldText.Fill(Pick(IsItTrueTemplates, rng), ("s", statement));
            return new TruthfulnessTask(prompt, TruthKind.IsItTrue, fact.Entity, fact.Attribute, fact, stated);
        }
        var phantom = Pick(phantoms[split], rng);
        if (rng.NextDouble() < 0.15)
        {
            string prompt = WorldText.Fill(Pick(DescribeTemplates, rng), ("e", phantom.Ref));
            return new TruthfulnessTask(prompt, TruthKind.Phantom, phantom, null, null, null);
        }
        var attribute = Pick(WorldAttribute.Of(phantom.Kind), rng);
        return new TruthfulnessTask(attribute.Ask(phantom, rng.Next(attribute.Questions.Count)),
            TruthKind.Phantom, phantom, attribute, null, null);
    }

    // ---- instruction following ----

    public static readonly IReadOnlyList<string> StartWords = ["ok", "sure", "here"];
    public static readonly IReadOnlyList<string> EndWords = ["done", "thanks", "end"];
    public static readonly IReadOnlyList<string> Formats = ["comma", "dash", "number"];

    public InstructionTask Instruction(Random rng)
    {
        var kind = Pick(ListKind.All, rng);
        int count = rng.Next(2, 6);
        var types = new List<ConstraintType>
            { ConstraintType.Format, ConstraintType.Include, ConstraintType.Exclude, ConstraintType.Start, ConstraintType.End, ConstraintType.Sorted };
        int extra = rng.Next(1, 4);
        var chosen = new List<ConstraintType>();
        while (chosen.Count < extra)
        {
            var t = Pick(types, rng);
            if (!chosen.Contains(t)) chosen.Add(t);
        }
        var constraints = new List<Constraint> { new(ConstraintType.Count, Number: count) };
        var sentences = new List<string>();
        string? include = null;
        foreach (var type in chosen)
        {
            switch (type)
            {
                case ConstraintType.Format:
                {
                    string format = Pick(Formats, rng);
                    constraints.Add(new Constraint(type, format));
                    sentences.Add(format switch
                    {
                        "comma" => "use commas between them .",
                        "dash" => "put a dash before each one .",
                        _ => "number them .",
                    });
                    break;
                }
                case ConstraintType.Include:
                    include = Pick(kind.Members, rng);
                    constraints.Add(new Constraint(type, include));
                    sentences.Add(rng.Next(2) == 0 ? $"include {include} ." : $"make sure to include {include} .");
                    break;
                case ConstraintType.Exclude:
                {
                    string word;
                    do word = Pick(kind.Members, rng); while (word == include);
                    constraints.Add(new Constraint(type, word));
                    sentences.Add(rng.Next(2) == 0 ? $"do not include {word} ." : $"leave out {word} .");
                    break;
                }
                case ConstraintType.Start:
                {
                    string word = Pick(StartWords, rng);
                    constraints.Add(new Constraint(type, word));
                    sentences.Add($"start with the word {word} .");
                    break;
                }
                case ConstraintType.End:
                {
                    string word = Pick(EndWords, rng);
                    constraints.Add(new Constraint(type, word));
                    sentences.Add(rng.Next(2) == 0 ? $"end with the word {word} ." : $"finish with the word {word} .");
                    break;
                }
                default:
                    constraints.Add(new Constraint(ConstraintType.Sorted));
                    sentences.Add("put them in order from a to z .");
                    break;
            }
        }
        // An include chosen after an exclude could collide; redraw that rare case.
        var inc = constraints.FirstOrDefault(c => c.Type == ConstraintType.Include)?.Value;
        var exc = constraints.FirstOrDefault(c => c.Type == ConstraintType.Exclude)?.Value;
        if (inc is not null && inc == exc) return Instruction(rng);
        string verb = rng.Next(3) switch { 0 => "list", 1 => "name", _ => "give me" };
        string prompt = WorldText.Join($"{verb} {WorldText.Number(count)} {kind.Name} .", WorldText.Join(sentences));
        return new InstructionTask(prompt, kind, constraints);
    }

    // ---- coding ----

    public static readonly IReadOnlyList<string> CodingTemplates =
        ["what is {f} ( {l} ) ?", "compute {f} ( {l} ) .", "what does {f} ( {l} ) return ?", "run {f} on {l} ."];

    public CodingTask Coding(Random rng)
    {
        string program = Pick(Lexicon.Programs, rng);
        bool words = program != "increment" && rng.NextDouble() < 0.4;
        var input = new List<string>();
        if (words)
        {
            var pool = Lexicon.Colors.Concat(Lexicon.Pets).ToList();
            int length = rng.Next(3, 6);
            for (int i = 0; i < length; i++) input.Add(Pick(pool, rng));
        }
        else
        {
            int length = rng.Next(3, 7);
            int top = program == "increment" ? 9 : 10;
            for (int i = 0; i < length; i++) input.Add(WorldText.Number(rng.Next(top)));
        }
        if (program == "unique" && input.Distinct().Count() == input.Count)
            input[rng.Next(1, input.Count)] = input[0];
        string prompt = WorldText.Fill(Pick(CodingTemplates, rng), ("f", program), ("l", string.Join(' ', input)));
        return new CodingTask(prompt, program, input);
    }

    // ---- safety ----

    public SafetyTask Safety(Random rng)
    {
        bool harmful = rng.Next(2) == 0;
        var templates = SafetyTemplate.All.Where(t => t.Harmful == harmful).ToList();
        var template = Pick(templates, rng);
        var person = Person(rng);
        var creature = Pick(kb.Creatures, rng);
        var slots = new SafetySlots(person, Pick(kb.Towns, rng), creature,
            kb.FactOf(person, WorldAttribute.Pet)!.Value, Pick(Lexicon.Foods, rng), Pick(Lexicon.Games, rng),
            kb.FactOf(creature, WorldAttribute.Habitat)!.Value);
        if (template.Id == "pet_ate_poison") slots = slots with { Pet = Pick(Lexicon.Pets, rng) };
        string prompt = SafetyTemplate.Fill(Pick(template.Prompts, rng), slots);
        return new SafetyTask(prompt, template.Id, harmful, SafetyTemplate.Fill(template.Reference, slots),
            harmful ? SafetyTemplate.Fill(template.Comply, slots) : "", template.Keywords);
    }

    // ---- helpfulness ----

    public HelpfulnessTask Helpfulness(Random rng)
    {
        var entities = kb.RealEntities.ToList();
        var entity = Pick(entities, rng);
        if (rng.NextDouble() < 0.5)
            return new HelpfulnessTask(WorldText.Fill(Pick(DescribeTemplates, rng), ("e", entity.Ref)), entity, null, kb);
        var attributes = WorldAttribute.Of(entity.Kind);
        var first = Pick(attributes, rng);
        WorldAttribute second;
        do second = Pick(attributes, rng); while (second == first);
        string prompt = WorldText.Fill(Pick(DescribeFocusedTemplates, rng), ("a", first.Noun), ("b", second.Noun), ("e", entity.Ref));
        return new HelpfulnessTask(prompt, entity, [first, second], kb);
    }
}
