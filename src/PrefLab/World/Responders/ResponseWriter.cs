using PrefLab.World.Knowledge;
using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World.Responders;

/// <summary>
/// Writes a response to a task the way a <see cref="ResponderProfile"/> would: decides, with the profile's
/// probabilities, whether the content is right and which mistake it makes, then wraps it in the profile's style
/// (filler, repetition). Responses never contain the end-of-sequence token (the chat template adds it).
/// </summary>
public sealed class ResponseWriter(KnowledgeBase kb)
{
    static readonly string[] Refusals =
        ["sorry , i can not help with that .", "i will not help with that .", "sorry , i can not help with that . it could hurt someone ."];
    static readonly string[] FillerBefore = ["that is a good question .", "let me think .", "here is my answer ."];
    static readonly string[] FillerAfter = ["i hope this helps .", "let me know if you want more .", "thanks for asking ."];

    static T Pick<T>(IReadOnlyList<T> list, Random rng) => list[rng.Next(list.Count)];
    static bool Chance(Random rng, double p) => rng.NextDouble() < p;

    public string Write(WorldTask task, ResponderProfile profile, Random rng)
    {
        if (task is not SafetyTask && Chance(rng, profile.RefuseOther)) return Pick(Refusals, rng);
        var sentences = task switch
        {
            ReasoningTask t => Reasoning(t, profile, rng),
            FactualTask t => Factual(t, profile, rng),
            TruthfulnessTask t => Truthfulness(t, profile, rng),
            InstructionTask t => Instruction(t, profile, rng),
            CodingTask t => Coding(t, profile, rng),
            SafetyTask t => Safety(t, profile, rng),
            HelpfulnessTask t => Helpfulness(t, profile, rng),
            _ => throw new ArgumentException($"no writer for {task.GetType().Name}", nameof(task)),
        };
        return Decorate(sentences, profile, rng);
    }

    /// <summary>The profile's style: a repeated sentence now and then, filler before and after.</summary>
    static string Decorate(List<string> sentences, ResponderProfile profile, Random rng)
    {
        var content = sentences.ToList();
        if (content.Count > 0 && Chance(rng, profile.RepeatRate)) sentences.Add(Pick(content, rng));
        if (content.Count > 0 && Chance(rng, profile.RepeatRate / 2)) sentences.Add(Pick(content, rng));
        if (Chance(rng, profile.FillerRate * 0.6)) sentences.Insert(0, Pick(FillerBefore, rng));
        if (Chance(rng, profile.FillerRate)) sentences.Add(Pick(FillerAfter, rng));
        return WorldText.Join(sentences);
    }

    // ---- reasoning ----

    List<string> Reasoning(ReasoningTask task, ResponderProfile p, Random rng)
    {
        bool steps = Chance(rng, p.StepRate);
        bool correct = Chance(rng, steps ? p.AccuracyWithSteps : p.AccuracyWithoutSteps);
        var work = new List<string>();
        int final;
        if (correct)
        {
            final = task.Answer;
            if (steps) work.Add(task.Work());
        }
        else if (steps && task.Steps.Count > 1 && Chance(rng, 0.4))
        {
            // Forgets one event: the arithmetic is right but the problem is misread.
            int skip = rng.Next(task.Steps.Count);
            int value = task.Start;
            for (int i = 0; i < task.Steps.Count; i++)
            {
                if (i == skip) continue;
                int next = task.Steps[i].Apply(value);
                if (next < 0) next = 0;
                work.Add(Render(task.Steps[i], value, next));
                value = next;
            }
            final = value;
        }
        else if (steps)
        {
            // An arithmetic slip in one step, carried through the rest.
            int slip = rng.Next(task.Steps.Count);
            int delta = rng.Next(1, 4) * (Chance(rng, 0.5) ? 1 : -1);
            int value = task.Start;
            for (int i = 0; i < task.Steps.Count; i++)
            {
                int next = task.Steps[i].Apply(value);
                if (i == slip) next += delta;
                if (next < 0) next = task.Steps[i].Apply(value) + Math.Abs(delta);
                work.Add(Render(task.Steps[i], value, next));
                value = next;
            }
            final = value;
        }
        else
        {
            final = Math.Max(0, task.Answer + rng.Next(1, 5) * (Chance(rng, 0.5) ? 1 : -1));
        }
        if (final == task.Answer && !correct) final = task.Answer + 1;
        work.Add(Chance(rng, 0.7)
            ? $"the answer is {WorldText.Number(final)} ."
            : $"so {task.Actor} has {WorldText.Number(final)} {task.Item} now .");
        return work;
    }

    /// <summary>A step's equation with a given (possibly wrong) result.</summary>
    static string Render(ReasoningStep step, int before, int after) => step.Op switch
    {
        ReasoningOp.Gain => $"{WorldText.Number(before)} + {WorldText.Number(step.Amount)} = {WorldText.Number(after)} .",
        ReasoningOp.Lose => $"{WorldText.Number(before)} - {WorldText.Number(step.Amount)} = {WorldText.Number(after)} .",
        _ => $"{WorldText.Number(step.Count)} times {WorldText.Number(step.Amount)} = {WorldText.Number(step.Count * step.Amount)} . " +
             $"{WorldText.Number(before)} + {WorldText.Number(step.Count * step.Amount)} = {WorldText.Number(after)} .",
    };

    // ---- facts ----

    string State(Entity entity, WorldAttribute attribute, string value, Random rng) =>
        attribute.State(entity, value, rng.Next(attribute.Statements.Count));

    string WrongValue(Fact fact, Random rng, params string?[] avoid)
    {
        var values = fact.Attribute == WorldAttribute.Friend ? kb.People.Select(e => e.Name).ToList() : fact.Attribute.Values.ToList();
        values.RemoveAll(v => v == fact.Value || v == fact.Entity.Name);
        // Prefer values outside `avoid`, unless the domain has nothing else (a town is big or small).
        var preferred = values.Where(v => !avoid.Contains(v)).ToList();
        return Pick(preferred.Count > 0 ? preferred : values, rng);
    }

    static string Idk(Entity entity, Random rng) => rng.Next(3) switch
    {
        0 => "i do not know .",
        1 => "i am not sure .",
        _ => TruthfulnessTask.Unknown(entity),
    };

    List<string> Factual(FactualTask task, ResponderProfile p, Random rng)
    {
        var fact = task.Fact;
        var sentences = new List<string>();
        if (Chance(rng, p.Accuracy)) sentences.Add(State(fact.Entity, fact.Attribute, fact.Value, rng));
        else if (Chance(rng, p.IdkRate)) sentences.Add(Idk(fact.Entity, rng));
        else sentences.Add(State(fact.Entity, fact.Attribute, WrongValue(fact, rng), rng));
        if (p.FactsMax >= 4 && Chance(rng, 0.5)) sentences.Add(ExtraFact(fact.Entity, fact.Attribute, p, rng));
        return sentences;
    }

    /// <summary>Another fact about the entity (verbose responders volunteer them), right with the profile's accuracy.</summary>
    string ExtraFact(Entity entity, WorldAttribute except, ResponderProfile p, Random rng)
    {
        var other = kb.FactsAbout(entity).Where(f => f.Attribute != except).ToList();
        var fact = Pick(other, rng);
        string value = Chance(rng, p.Accuracy) ? fact.Value : WrongValue(fact, rng);
        return State(entity, fact.Attribute, value, rng);
    }

    List<string> Truthfulness(TruthfulnessTask task, ResponderProfile p, Random rng)
    {
        if (task.Kind == TruthKind.Phantom)
        {
            if (!Chance(rng, p.PhantomHallucination)) return [Idk(task.Entity, rng)];
            var attributes = task.Attribute is null
                ? WorldAttribute.Of(task.Entity.Kind).OrderBy(_ => rng.Next()).Take(2).ToList()
                : [task.Attribute];
            return attributes.Select(a => State(task.Entity, a, MadeUpValue(a, task.Entity, rng), rng)).ToList();
        }
        var fact = task.Fact!;
        // What this responder believes: the popular falsehood, the truth, nothing, or some other wrong value.
        string? believed = Chance(rng, p.MythRate) ? fact.PopularFalsehood
            : Chance(rng, p.Accuracy) ? fact.Value
            : Chance(rng, p.IdkRate) ? null
            : WrongValue(fact, rng, fact.PopularFalsehood);
        if (believed is null) return [Idk(fact.Entity, rng)];
        string statement = State(fact.Entity, fact.Attribute, believed, rng);
        if (task.Kind == TruthKind.Myth) return [statement];
        string polarity = task.StatedValue == believed ? "yes ." : "no .";
        return p.FactsMax <= 1 ? [polarity] : [polarity, statement];
    }

    string MadeUpValue(WorldAttribute attribute, Entity entity, Random rng) =>
        attribute == WorldAttribute.Friend ? Pick(kb.People, rng).Name : Pick(attribute.Values, rng);

    // ---- instruction following ----

    List<string> Instruction(InstructionTask task, ResponderProfile p, Random rng)
    {
        var members = task.Kind.Members;
        bool Keeps(ConstraintType type) => task.Find(type) is not null && Chance(rng, p.ConstraintRate);
        bool countOk = Chance(rng, p.ConstraintRate);
        int n = countOk ? task.Count : task.Count == 1 || Chance(rng, 0.5) ? task.Count + 1 : task.Count - 1;
        string? include = task.Find(ConstraintType.Include)?.Value;
        string? exclude = task.Find(ConstraintType.Exclude)?.Value;
        bool keepInclude = include is not null && Keeps(ConstraintType.Include);
        bool keepExclude = exclude is not null && Keeps(ConstraintType.Exclude);
        var items = new List<string>();
        if (keepInclude) items.Add(include!);
        if (exclude is not null && !keepExclude) items.Add(exclude);
        var pool = members.Where(m => !items.Contains(m) && m != exclude && (m != include || keepInclude)).OrderBy(_ => rng.Next()).ToList();
        foreach (string m in pool)
        {
            if (items.Count >= n) break;
            items.Add(m);
        }
        while (items.Count > n) items.RemoveAt(items.Count - 1);
        if (items.Count > 1 && !Chance(rng, p.Accuracy))
        {
            // One item of the wrong kind.
            var wrongKind = ListKind.All.Where(k => k != task.Kind).SelectMany(k => k.Members).Where(w => !members.Contains(w)).ToList();
            int at = rng.Next(items.Count);
            if (items[at] != include && items[at] != exclude) items[at] = Pick(wrongKind, rng);
        }
        items = items.OrderBy(_ => rng.Next()).ToList();
        if (task.Find(ConstraintType.Sorted) is not null)
        {
            items.Sort(StringComparer.Ordinal);
            if (!Keeps(ConstraintType.Sorted)) items.Reverse();
        }
        string format = task.Find(ConstraintType.Format)?.Value is string asked
            ? (Keeps(ConstraintType.Format) ? asked : Pick(TaskSampler.Formats.Where(f => f != asked).ToList(), rng))
            : Chance(rng, 0.7) ? "comma" : Pick(TaskSampler.Formats, rng);
        string? start = task.Find(ConstraintType.Start) is { } s && Keeps(ConstraintType.Start) ? s.Value : null;
        string? end = task.Find(ConstraintType.End) is { } e && Keeps(ConstraintType.End) ? e.Value : null;
        return [InstructionTask.Render(items, format, start, end)];
    }

    // ---- coding ----

    List<string> Coding(CodingTask task, ResponderProfile p, Random rng)
    {
        var output = Chance(rng, p.Accuracy) ? task.Output : WrongOutput(task, rng);
        string text = string.Join(' ', output);
        double form = rng.NextDouble();
        if (p.FactsMax <= 1 || form < 0.15) return [text + " ."];
        if (form < 0.4) return [$"{task.Program} ( {string.Join(' ', task.Input)} ) = {text} ."];
        return [$"the result is {text} ."];
    }

    static IReadOnlyList<string> WrongOutput(CodingTask task, Random rng)
    {
        var expected = task.Output;
        var candidates = new List<IReadOnlyList<string>>
        {
            task.Input,
            expected.Reverse().ToList(),
            expected.Take(Math.Max(1, expected.Count - 1)).ToList(),
            task.Input.Take(Math.Max(1, task.Input.Count - 1)).Reverse().ToList(),
        };
        if (task.Program == "count")
            candidates.Add(WorldText.Tokens(WorldText.Number(task.Input.Count + (Chance(rng, 0.5) ? 1 : -1))));
        if (task.Program is "first" or "last") candidates.Add([task.Program == "first" ? task.Input[^1] : task.Input[0]]);
        var wrong = candidates.Where(c => c.Count > 0 && !c.SequenceEqual(expected)).ToList();
        if (wrong.Count == 0) return [.. expected, expected[^1]];
        return Pick(wrong, rng);
    }

    // ---- safety ----

    List<string> Safety(SafetyTask task, ResponderProfile p, Random rng)
    {
        if (task.Harmful)
            return Chance(rng, p.RefuseHarmful) ? [Chance(rng, 0.6) ? task.Reference : Pick(Refusals, rng)] : [task.Comply];
        if (Chance(rng, p.RefuseBenign)) return [Pick(Refusals, rng)];
        return [Chance(rng, p.Accuracy) ? task.Reference : SafetyTemplate.OffTopic];
    }

    // ---- helpfulness ----

    List<string> Helpfulness(HelpfulnessTask task, ResponderProfile p, Random rng)
    {
        List<WorldAttribute> attributes;
        if (task.Requested is not null)
        {
            attributes = task.Requested.ToList();
            if (!Chance(rng, p.ConstraintRate)) attributes.RemoveAt(rng.Next(attributes.Count));
            if (p.FactsMax >= 4 && Chance(rng, 0.5))
                attributes.Add(Pick(WorldAttribute.Of(task.Entity.Kind).Where(a => !attributes.Contains(a)).ToList(), rng));
        }
        else
        {
            int k = rng.Next(p.FactsMin, p.FactsMax + 1);
            attributes = WorldAttribute.Of(task.Entity.Kind).OrderBy(_ => rng.Next()).Take(k).ToList();
        }
        var sentences = new List<string>();
        foreach (var attribute in attributes)
        {
            var fact = kb.FactOf(task.Entity, attribute)!;
            string value = Chance(rng, p.Accuracy) ? fact.Value : WrongValue(fact, rng);
            sentences.Add(State(task.Entity, attribute, value, rng));
        }
        return sentences;
    }
}
