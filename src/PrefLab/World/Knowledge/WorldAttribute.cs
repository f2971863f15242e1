using PrefLab.World.Language;

namespace PrefLab.World.Knowledge;

/// <summary>
/// An attribute entities of one kind have, with its value domain and the templates that state it or ask for
/// it. Within one entity kind the value domains are disjoint (a town is never a food), which is what lets the
/// gold scorer read a claim's attribute off its value (<see cref="Claims"/>).
/// </summary>
public sealed class WorldAttribute
{
    WorldAttribute(string name, EntityKind owner, IReadOnlyList<string> values, string noun,
        string[] statements, string[] questions)
    {
        Name = name; Owner = owner; Values = values; Noun = noun; Statements = statements; Questions = questions;
    }

    /// <summary>Identifier, e.g. "home" (also used in eval rows and constraints).</summary>
    public string Name { get; }
    public EntityKind Owner { get; }
    /// <summary>Possible values as World text (numbers digit by digit).</summary>
    public IReadOnlyList<string> Values { get; }
    /// <summary>How a request names it: "tell me about the job and the pet of tom ."</summary>
    public string Noun { get; }
    /// <summary>Templates with {e} (entity reference) and {v}; the first is canonical.</summary>
    public IReadOnlyList<string> Statements { get; }
    /// <summary>Question templates with {e}.</summary>
    public IReadOnlyList<string> Questions { get; }

    public string State(Entity entity, string value, int template = 0) =>
        WorldText.Fill(Statements[template], ("e", entity.Ref), ("v", value));

    public string Ask(Entity entity, int template) => WorldText.Fill(Questions[template], ("e", entity.Ref));

    public override string ToString() => Name;

    static IReadOnlyList<string> Numbers(int from, int to, int step = 1)
    {
        var list = new List<string>();
        for (int n = from; n <= to; n += step) list.Add(WorldText.Number(n));
        return list;
    }

    public static readonly WorldAttribute Home = new("home", EntityKind.Person, Lexicon.TownNames, "home",
        ["{e} lives in {v} .", "{e} is from {v} .", "the home of {e} is {v} ."],
        ["where does {e} live ?", "which town is {e} from ?", "what is the home town of {e} ?"]);

    public static readonly WorldAttribute Job = new("job", EntityKind.Person, Lexicon.Jobs, "job",
        ["{e} is a {v} .", "{e} works as a {v} .", "the job of {e} is {v} ."],
        ["what is the job of {e} ?", "what does {e} do for work ?", "what work does {e} do ?"]);

    public static readonly WorldAttribute Food = new("food", EntityKind.Person, Lexicon.Foods, "favorite food",
        ["{e} likes {v} .", "the favorite food of {e} is {v} .", "{e} loves to eat {v} ."],
        ["what food does {e} like ?", "what is the favorite food of {e} ?", "what does {e} like to eat ?"]);

    public static readonly WorldAttribute Color = new("color", EntityKind.Person, Lexicon.Colors, "favorite color",
        ["the favorite color of {e} is {v} .", "{e} likes the color {v} ."],
        ["what is the favorite color of {e} ?", "what color does {e} like ?", "which color does {e} like best ?"]);

    public static readonly WorldAttribute Pet = new("pet", EntityKind.Person, Lexicon.Pets, "pet",
        ["{e} has a {v} .", "{e} keeps a {v} as a pet .", "the pet of {e} is a {v} ."],
        ["what pet does {e} have ?", "what animal does {e} keep ?", "what kind of pet does {e} have ?"]);

    public static readonly WorldAttribute Age = new("age", EntityKind.Person, Numbers(10, 89), "age",
        ["{e} is {v} years old .", "the age of {e} is {v} ."],
        ["how old is {e} ?", "what is the age of {e} ?", "how many years old is {e} ?"]);

    public static readonly WorldAttribute Friend = new("friend", EntityKind.Person, Lexicon.PersonNames, "best friend",
        ["the best friend of {e} is {v} .", "{e} is best friends with {v} ."],
        ["who is the best friend of {e} ?", "who is {e} best friends with ?", "which person is the best friend of {e} ?"]);

    public static readonly WorldAttribute Region = new("region", EntityKind.Town, Lexicon.Regions, "region",
        ["{e} is in the {v} .", "{e} lies in the {v} ."],
        ["where is {e} ?", "which part of the land is {e} in ?", "is {e} in the north , south , east or west ?"]);

    public static readonly WorldAttribute Size = new("size", EntityKind.Town, Lexicon.Sizes, "size",
        ["{e} is a {v} town .", "the town of {e} is {v} ."],
        ["is {e} a big or a small town ?", "how big is {e} ?", "what size is the town of {e} ?"]);

    public static readonly WorldAttribute TownFood = new("known_for", EntityKind.Town, Lexicon.Foods, "food",
        ["{e} is known for its {v} .", "the people of {e} make good {v} ."],
        ["what is {e} known for ?", "what food is {e} known for ?", "which food do the people of {e} make best ?"]);

    public static readonly WorldAttribute CreatureColor = new("color", EntityKind.Creature, Lexicon.Colors, "color",
        ["{e} is {v} .", "the color of {e} is {v} ."],
        ["what color is {e} ?", "what is the color of {e} ?", "which color is {e} ?"]);

    public static readonly WorldAttribute Eats = new("eats", EntityKind.Creature, Lexicon.Foods, "food",
        ["{e} eats {v} .", "{e} likes to eat {v} ."],
        ["what does {e} eat ?", "what food does {e} eat ?", "what is the food of {e} ?"]);

    public static readonly WorldAttribute Habitat = new("habitat", EntityKind.Creature, Lexicon.Habitats, "home",
        ["{e} lives in the {v} .", "you can find {e} in the {v} ."],
        ["where does {e} live ?", "where can you find {e} ?", "what place does {e} live in ?"]);

    public static readonly WorldAttribute Legs = new("legs", EntityKind.Creature, Numbers(2, 8, 2), "legs",
        ["{e} has {v} legs .", "the number of legs of {e} is {v} ."],
        ["how many legs does {e} have ?", "how many legs has {e} got ?", "what number of legs does {e} have ?"]);

    /// <summary>Every attribute, persons first, in the fixed order generation uses.</summary>
    public static readonly IReadOnlyList<WorldAttribute> All =
        [Home, Job, Food, Color, Pet, Age, Friend, Region, Size, TownFood, CreatureColor, Eats, Habitat, Legs];

    public static IReadOnlyList<WorldAttribute> Of(EntityKind kind) => All.Where(a => a.Owner == kind).ToList();

    /// <summary>True when <paramref name="value"/> is numeric (age, legs): written as digits.</summary>
    public bool IsNumeric => this == Age || this == Legs;
}
