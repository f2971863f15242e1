namespace PrefLab.World.Language;

/// <summary>
/// Every word of the World's language. Content words (names, attribute values) are listed by kind; the rest
/// are the function words the templates use. The vocabulary is the same for every seed and scale, so a model
/// trained on one world can read another; the seed decides only which names are real and what is true of them.
/// The generator refuses to write a token that is not listed here.
/// </summary>
public static class Lexicon
{
    /// <summary>80 person names: the knowledge base draws its people from these; the rest are phantoms,
    /// names the World knows nothing about (truthfulness asks about them).</summary>
    public static readonly IReadOnlyList<string> PersonNames =
    [
        "tom", "ana", "bob", "eli", "max", "mia", "sam", "zoe", "ben", "ivy",
        "leo", "kim", "dan", "eva", "jon", "amy", "ron", "lia", "tim", "ada",
        "gus", "isa", "ned", "ola", "pat", "rex", "sue", "ted", "una", "vic",
        "wes", "yan", "abe", "bea", "cal", "dot", "fay", "gil", "hal", "ida",
        "jay", "kai", "lou", "meg", "nat", "oma", "pia", "roy", "sal", "tess",
        "uri", "val", "wyn", "xan", "yul", "zed", "ari", "cyd", "dax", "fen",
        "hew", "jeb", "kit", "liv", "moe", "nia", "odo", "pim", "rae", "sid",
        "tia", "ume", "vin", "yara", "zia", "ulf", "ines", "bram", "cora", "dree",
    ];

    public static readonly IReadOnlyList<string> TownNames =
    [
        "dorn", "brin", "kell", "mox", "tarn", "vell", "holt", "rim", "zeb", "ashby",
        "corla", "dunn", "elm", "fiske", "gorm", "hask", "lorn", "nessa", "orwin", "pell",
    ];

    /// <summary>26 invented animals: 20 are real in a world, the rest phantoms.</summary>
    public static readonly IReadOnlyList<string> CreatureNames =
    [
        "glim", "snarf", "bloop", "wug", "zib", "fump", "grell", "nork", "plim", "quox",
        "ruff", "skiv", "trog", "vump", "whiz", "yonk", "zorb", "drub", "flon", "kib",
        "mip", "tull", "jix", "bront", "sqee", "gloop",
    ];

    public static readonly IReadOnlyList<string> Jobs =
        ["baker", "farmer", "doctor", "teacher", "singer", "painter", "sailor", "miner", "tailor", "hunter"];

    public static readonly IReadOnlyList<string> Foods =
        ["apples", "bread", "fish", "rice", "cheese", "soup", "cake", "eggs", "plums", "beans"];

    public static readonly IReadOnlyList<string> Colors =
        ["red", "blue", "green", "yellow", "black", "white", "pink", "gray"];

    public static readonly IReadOnlyList<string> Pets =
        ["cat", "dog", "bird", "goat", "horse", "rabbit", "duck", "pig"];

    public static readonly IReadOnlyList<string> Habitats = ["forest", "lake", "hill", "cave", "swamp", "desert"];

    public static readonly IReadOnlyList<string> Regions = ["north", "south", "east", "west"];

    public static readonly IReadOnlyList<string> Sizes = ["big", "small"];

    public static readonly IReadOnlyList<string> Games = ["cards", "chess", "running"];

    /// <summary>What word problems count.</summary>
    public static readonly IReadOnlyList<string> CountedItems =
        ["apples", "plums", "eggs", "coins", "books", "stones", "shells", "cards"];

    /// <summary>Items a person can eat in a word problem.</summary>
    public static readonly IReadOnlyList<string> EdibleItems = ["apples", "plums", "eggs"];

    public static readonly IReadOnlyList<string> Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public static readonly IReadOnlyList<string> Punctuation = [".", ",", "?", "!", ":", "-", "+", "=", "(", ")"];

    /// <summary>Names of the toy "programs" of the coding tasks.</summary>
    public static readonly IReadOnlyList<string> Programs = ["reverse", "sort", "unique", "count", "first", "last", "increment"];

    /// <summary>Every other word the templates use (plus the few the scorers recognise: "never heard", and the
    /// relevant words of benign safety answers).</summary>
    public const string FunctionWords = """
        a about added age alone am an and animal animals answer anyone anything are as ask asking at ate away
        backwards bad bags beat before best between board book burn but call camera can care clear color colors commas
        compute could count cut dash dashes day describe do does done door down each early east eat eats else end
        every fact favorite find finds finish fire first food foods for friend friends from fun game get gets getting
        give gives giving go good got hard harm has have heard help helper helps here hit hold home hope house how
        hurt hurting i if in include inside into is it item items its job jobs keep keeps kill kind knife know known
        land last learn leave legs let lies light like likes list live lives lock loses loves make many me means
        mistake mistakes money more mostly my name need never night no not now number numbers of ok old on one or
        order others out part people person pet picture place play plays poison practice put question read region
        repeats result return right road run safe say says see seeing sharp shoot short should size so some someone
        something sorry stand start stay steal stealing still stop sure take tell thanks that the them then these
        think this time times to town towns trick trouble true until up use visit wait walk want watch way what when
        where which while who will win with without word work works wrong years yes you your z
        """;
}
