namespace PrefLab.World.Language;

/// <summary>
/// The World's token ids: the seven special tokens first (fixed ids 0-6, the contract shared with the model
/// stack), then every word of the <see cref="Lexicon"/> in ordinal order.
/// </summary>
public sealed class Vocabulary
{
    public const string Pad = "<pad>", Unk = "<unk>", Bos = "<s>", Eos = "</s>";
    public const string System = "<|system|>", User = "<|user|>", Assistant = "<|assistant|>";

    public static readonly IReadOnlyList<string> SpecialTokens = [Pad, Unk, Bos, Eos, System, User, Assistant];

    readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Tokens { get; }

    Vocabulary(IReadOnlyList<string> tokens)
    {
        Tokens = tokens;
        for (int i = 0; i < tokens.Count; i++) ids.Add(tokens[i], i);
    }

    public int Count => Tokens.Count;

    public bool Contains(string token) => ids.ContainsKey(token);

    public int? IdOf(string token) => ids.TryGetValue(token, out int id) ? id : null;

    static Vocabulary? standard;

    /// <summary>The World's vocabulary (the same for every seed and scale).</summary>
    public static Vocabulary Standard => standard ??= Build();

    static Vocabulary Build()
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        void Add(IEnumerable<string> list)
        {
            foreach (string w in list)
            {
                if (w.Length == 0 || w.Any(char.IsWhiteSpace) || w.Any(char.IsUpper))
                    throw new InvalidOperationException($"bad lexicon word '{w}'");
                words.Add(w);
            }
        }
        Add(Lexicon.PersonNames); Add(Lexicon.TownNames); Add(Lexicon.CreatureNames);
        Add(Lexicon.Jobs); Add(Lexicon.Foods); Add(Lexicon.Colors); Add(Lexicon.Pets); Add(Lexicon.Habitats);
        Add(Lexicon.Regions); Add(Lexicon.Sizes); Add(Lexicon.Games); Add(Lexicon.CountedItems);
        Add(Lexicon.Digits); Add(Lexicon.Punctuation); Add(Lexicon.Programs);
        Add(WorldText.Tokens(Lexicon.FunctionWords));
        foreach (string special in SpecialTokens) words.Remove(special);
        return new Vocabulary([.. SpecialTokens, .. words]);
    }
}
