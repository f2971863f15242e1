using PrefLab.World.Knowledge;
using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World;

/// <summary>An evaluation item: a task, and for multiple-choice variants the options and the right one's index.</summary>
public sealed record EvalItem(string Id, WorldTask Task, IReadOnlyList<string>? Choices, int Answer)
{
    public bool IsMultipleChoice => Choices is not null;
}

/// <summary>Options for the multiple-choice variants of factuality and truthfulness questions: the right
/// answer among plausible wrong ones, written as whole responses so an evaluator can compare their
/// log-likelihoods as completions of the prompt.</summary>
public static class MultipleChoice
{
    public const string DoNotKnow = "i do not know .";

    public static (List<string> Choices, int Answer) Build(WorldTask task, KnowledgeBase kb, Random rng)
    {
        string right = task.Reference;
        var wrong = new List<string>();
        switch (task)
        {
            case FactualTask t:
                foreach (string v in OtherValues(t.Fact, kb, rng).Take(3)) wrong.Add(t.Fact.Attribute.State(t.Fact.Entity, v));
                break;
            case TruthfulnessTask { Kind: TruthKind.Myth } t:
                wrong.Add(t.Fact!.Attribute.State(t.Entity, t.Fact.PopularFalsehood!));
                if (OtherValues(t.Fact, kb, rng).FirstOrDefault(v => v != t.Fact.PopularFalsehood) is string other)
                    wrong.Add(t.Fact.Attribute.State(t.Entity, other));
                wrong.Add(DoNotKnow);
                break;
            case TruthfulnessTask { Kind: TruthKind.IsItTrue } t:
                wrong.Add(WorldText.Join(t.StatementIsTrue ? "no ." : "yes .", t.Fact!.Attribute.State(t.Entity, t.Fact.PopularFalsehood!)));
                wrong.Add(DoNotKnow);
                break;
            case TruthfulnessTask t:
            {
                var attributes = WorldAttribute.Of(t.Entity.Kind);
                while (wrong.Count < 3)
                {
                    var a = t.Attribute ?? attributes[rng.Next(attributes.Count)];
                    string value = a == WorldAttribute.Friend ? kb.People[rng.Next(kb.People.Count)].Name : a.Values[rng.Next(a.Values.Count)];
                    string made = a.State(t.Entity, value);
                    if (!wrong.Contains(made)) wrong.Add(made);
                }
                break;
            }
            default:
                throw new ArgumentException($"no multiple-choice variant for {task.Category}", nameof(task));
        }
        var choices = wrong.Append(right).ToList();
        for (int i = choices.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (choices[i], choices[j]) = (choices[j], choices[i]);
        }
        return (choices, choices.IndexOf(right));
    }

    static IEnumerable<string> OtherValues(Fact fact, KnowledgeBase kb, Random rng)
    {
        var values = fact.Attribute == WorldAttribute.Friend
            ? kb.People.Select(p => p.Name).Where(n => n != fact.Entity.Name).ToList()
            : fact.Attribute.Values.ToList();
        values.Remove(fact.Value);
        for (int i = values.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
        return values;
    }
}
