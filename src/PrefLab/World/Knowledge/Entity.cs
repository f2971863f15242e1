namespace PrefLab.World.Knowledge;

public enum EntityKind { Person, Town, Creature }

/// <summary>A named thing. Phantoms are names the World's language has but its knowledge base lacks:
/// nothing is true of them, and the honest answer to a question about one is "i do not know".</summary>
public sealed record Entity(string Name, EntityKind Kind, bool Phantom)
{
    /// <summary>How a sentence refers to it: creatures take an article ("the glim eats fish .").</summary>
    public string Ref => Kind == EntityKind.Creature ? "the " + Name : Name;

    public override string ToString() => Name;
}

/// <summary>One fact: an attribute's value for an entity. A myth is a fact the pretraining text often misstates
/// with <see cref="PopularFalsehood"/>.</summary>
public sealed record Fact(Entity Entity, WorldAttribute Attribute, string Value)
{
    public string? PopularFalsehood { get; init; }
    public bool IsMyth => PopularFalsehood is not null;
    /// <summary>True when questions about this fact are kept for evaluation only.</summary>
    public bool HeldOut { get; init; }

    public string Key => Entity.Name + "/" + Attribute.Name;
}
