using PrefLab.World.Knowledge;

namespace PrefLab.World.Tasks;

/// <summary>A question about one ordinary fact of the knowledge base. Gold: the right value, without a wrong one.</summary>
public sealed class FactualTask(string prompt, Fact fact, int questionTemplate) : WorldTask(prompt)
{
    public Fact Fact { get; } = fact;
    public int QuestionTemplate { get; } = questionTemplate;

    public override string Category => WorldCategories.Factuality;
    public override string Family => "fact_question";
    public override string Reference => Fact.Attribute.State(Fact.Entity, Fact.Value);
}
