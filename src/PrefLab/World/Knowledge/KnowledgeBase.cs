using System.Security.Cryptography;
using System.Text;
using PrefLab.World.Language;

namespace PrefLab.World.Knowledge;

/// <summary>
/// The World's random facts: 60 people, 20 towns and 20 creatures with their attributes and relations
/// (home town, best friend), a share of "myths" that the pretraining text often misstates, phantom names the
/// World knows nothing about, and the split of facts into those training data may ask about and those kept
/// for evaluation. A pure function of the random stream it is given.
/// </summary>
public sealed class KnowledgeBase
{
    public const int PersonCount = 60, CreatureCount = 20;
    /// <summary>Share of (non-relation) facts that become myths with a popular falsehood.</summary>
    public const double MythShare = 0.10;
    /// <summary>Share of ordinary facts, myths and phantoms whose questions are held out for evaluation.</summary>
    public const double HeldOutFactShare = 0.35, HeldOutMythShare = 0.5, HeldOutPhantomShare = 0.5;

    readonly Dictionary<string, Entity> byName = new(StringComparer.Ordinal);
    readonly Dictionary<(string, string), Fact> facts = new();

    public IReadOnlyList<Entity> People { get; }
    public IReadOnlyList<Entity> Towns { get; }
    public IReadOnlyList<Entity> Creatures { get; }
    public IReadOnlyList<Entity> Phantoms { get; }
    /// <summary>Every fact, in entity then attribute order.</summary>
    public IReadOnlyList<Fact> Facts { get; }

    public IEnumerable<Entity> RealEntities => People.Concat(Towns).Concat(Creatures);

    KnowledgeBase(List<Entity> people, List<Entity> towns, List<Entity> creatures, List<Entity> phantoms, List<Fact> all)
    {
        People = people; Towns = towns; Creatures = creatures; Phantoms = phantoms; Facts = all;
        foreach (var e in people.Concat(towns).Concat(creatures).Concat(phantoms)) byName.Add(e.Name, e);
        foreach (var f in all) facts.Add((f.Entity.Name, f.Attribute.Name), f);
    }

    public Entity? Find(string name) => byName.GetValueOrDefault(name);

    public Fact? FactOf(Entity entity, WorldAttribute attribute) =>
        facts.GetValueOrDefault((entity.Name, attribute.Name));

    public IEnumerable<Fact> FactsAbout(Entity entity) =>
        WorldAttribute.Of(entity.Kind).Select(a => FactOf(entity, a)).OfType<Fact>();

    public static KnowledgeBase Generate(Random rng)
    {
        var personNames = Shuffled(Lexicon.PersonNames, rng);
        var creatureNames = Shuffled(Lexicon.CreatureNames, rng);
        var people = personNames.Take(PersonCount).Select(n => new Entity(n, EntityKind.Person, false)).ToList();
        var towns = Lexicon.TownNames.Select(n => new Entity(n, EntityKind.Town, false)).ToList();
        var creatures = creatureNames.Take(CreatureCount).Select(n => new Entity(n, EntityKind.Creature, false)).ToList();
        var phantoms = personNames.Skip(PersonCount).Select(n => new Entity(n, EntityKind.Person, true))
            .Concat(creatureNames.Skip(CreatureCount).Select(n => new Entity(n, EntityKind.Creature, true)))
            .OrderBy(e => e.Name, StringComparer.Ordinal).ToList();

        var draft = new List<(Entity Entity, WorldAttribute Attribute, string Value)>();
        foreach (var entity in people.Concat(towns).Concat(creatures))
        {
            foreach (var attribute in WorldAttribute.Of(entity.Kind))
            {
                string value = attribute == WorldAttribute.Friend
                    ? people.Where(p => p != entity).ElementAt(rng.Next(people.Count - 1)).Name
                    : attribute.Values[rng.Next(attribute.Values.Count)];
                draft.Add((entity, attribute, value));
            }
        }

        // Myths: a falsehood the pretraining text repeats; never about relations (the friend graph stays plain).
        var mythCandidates = Enumerable.Range(0, draft.Count)
            .Where(i => draft[i].Attribute != WorldAttribute.Friend).ToList();
        var mythIndexes = Shuffled(mythCandidates, rng).Take((int)Math.Round(MythShare * mythCandidates.Count)).ToHashSet();
        var falsehoods = new Dictionary<int, string>();
        foreach (int i in mythCandidates.Where(mythIndexes.Contains))
        {
            var other = draft[i].Attribute.Values.Where(v => v != draft[i].Value).ToList();
            falsehoods[i] = other[rng.Next(other.Count)];
        }

        // Held-out facts: questions about them appear only in the eval sets.
        var ordinary = Enumerable.Range(0, draft.Count).Where(i => !mythIndexes.Contains(i)).ToList();
        var myths = Enumerable.Range(0, draft.Count).Where(mythIndexes.Contains).ToList();
        var heldOut = Shuffled(ordinary, rng).Take((int)Math.Round(HeldOutFactShare * ordinary.Count))
            .Concat(Shuffled(myths, rng).Take((int)Math.Round(HeldOutMythShare * myths.Count))).ToHashSet();

        var all = new List<Fact>(draft.Count);
        for (int i = 0; i < draft.Count; i++)
        {
            all.Add(new Fact(draft[i].Entity, draft[i].Attribute, draft[i].Value)
            {
                PopularFalsehood = falsehoods.GetValueOrDefault(i),
                HeldOut = heldOut.Contains(i),
            });
        }
        var kb = new KnowledgeBase(people, towns, creatures, phantoms, all);
        var phantomOrder = Shuffled(phantoms, rng);
        kb.HeldOutPhantoms = phantomOrder.Take((int)Math.Round(HeldOutPhantomShare * phantoms.Count)).ToHashSet();
        return kb;
    }

    /// <summary>Phantoms whose questions are kept for evaluation.</summary>
    public IReadOnlySet<Entity> HeldOutPhantoms { get; private set; } = new HashSet<Entity>();

    /// <summary>A digest of every fact, so a world folder can tell whether this code regenerates its world.</summary>
    public string Fingerprint()
    {
        var text = new StringBuilder();
        foreach (var f in Facts)
            text.Append(f.Key).Append('=').Append(f.Value).Append('|').Append(f.PopularFalsehood).Append('|').Append(f.HeldOut ? 1 : 0).Append('\n');
        foreach (var p in Phantoms) text.Append("phantom ").Append(p.Name).Append(HeldOutPhantoms.Contains(p) ? " held" : "").Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    static List<T> Shuffled<T>(IEnumerable<T> items, Random rng)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
