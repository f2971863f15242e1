using PrefLab.World.Knowledge;
using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

/// <summary>"tell me about X" (open-ended) or about two named attributes of X. Gold: relevant correct facts
/// mentioned (up to <see cref="Target"/>), minus errors and repetition.</summary>
public sealed class HelpfulnessTask : WorldTask
{
    public HelpfulnessTask(string prompt, Entity entity, IReadOnlyList<WorldAttribute>? requested, KnowledgeBase kb) : base(prompt)
    {
        Entity = entity; Requested = requested;
        var about = requested ?? WorldAttribute.Of(entity.Kind);
        Relevant = about.Select(a => kb.FactOf(entity, a)!).ToList();
        Target = requested?.Count ?? Math.Min(GeneralTarget, Relevant.Count);
    }

    /// <summary>Facts an open-ended answer needs for full marks.</summary>
    public const int GeneralTarget = 3;

    public Entity Entity { get; }
    /// <summary>The attributes asked for, or null for an open-ended request.</summary>
    public IReadOnlyList<WorldAttribute>? Requested { get; }
    /// <summary>The facts that count toward coverage.</summary>
    public IReadOnlyList<Fact> Relevant { get; }
    /// <summary>How many distinct relevant facts give full coverage.</summary>
    public int Target { get; }

    public override string Category => WorldCategories.Helpfulness;
    public override string Family => Requested is null ? "describe" : "describe_focused";

    public override string Reference =>
        WorldText.Join(Relevant.Take(Target).Select(f => f.Attribute.State(f.Entity, f.Value)));
}
