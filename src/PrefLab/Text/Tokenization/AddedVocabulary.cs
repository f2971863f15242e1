using System.Text.Json.Nodes;

namespace PrefLab.Text.Tokenization;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>
/// Finds added tokens in text before the model sees it, as Hugging Face's AddedVocabulary does: tokens with
/// normalized=false are matched in the raw text, the rest in each normalized piece (their content normalized
/// the same way). Leftmost match wins, then the longest; lstrip / rstrip absorb the whitespace beside a match;
/// single_word matches only when no word char touches either end.
/// </summary>
internal sealed class AddedVocabulary
{
    readonly Matcher raw;
    readonly Matcher normalized;
    readonly Dictionary<int, AddedToken> byId = new();
    readonly Dictionary<string, AddedToken> byContent = new(StringComparer.Ordinal);

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, INormalizer? normalizer)
    {
        foreach (var t in tokens)
        {
            byId[t.Id] = t;
            byContent[t.Content] = t;
        }
        raw = new Matcher(tokens.Where(t => !t.Normalized || normalizer is null).Select(t => (t.Content, t)));
        normalized = new Matcher(normalizer is null ? [] : tokens.Where(t => t.Normalized).Select(t => (normalizer.NormalizeString(t.Content), t)));
    }

    public static List<AddedToken> Parse(JsonNode? node, JsonFields json)
    {
        var result = new List<AddedToken>();
        if (node is null) return result;
        var list = json.Array(node, "added_tokens");
        for (int i = 0; i < list.Count; i++)
        {
            string f = $"added_tokens[{i}]";
            var o = json.Object(list[i], f);
            bool special = json.Bool(o, "special", false, f + ".special");
            string content = json.String(o["content"], f + ".content");
            if (content.Length == 0) throw json.Error(f + ".content", "an added token cannot be empty");
            result.Add(new AddedToken(json.Int(o["id"], f + ".id"), content, special,
                json.Bool(o, "single_word", false, f + ".single_word"), json.Bool(o, "lstrip", false, f + ".lstrip"),
                json.Bool(o, "rstrip", false, f + ".rstrip"), json.Bool(o, "normalized", !special, f + ".normalized")));
        }
        return result;
    }

    public IEnumerable<AddedToken> All => byId.Values;
    public AddedToken? ByContent(string content) => byContent.GetValueOrDefault(content);

    /// <summary>Splits text (raw or normalized) into runs of plain text and matched added tokens.</summary>
    public List<(AlignedText Text, AddedToken? Token)> SplitRaw(AlignedText text) => raw.Split(text);
    public List<(AlignedText Text, AddedToken? Token)> SplitNormalized(AlignedText text) => normalized.Split(text);

    sealed class Matcher
    {
        // candidates by first char, longest first
        readonly Dictionary<char, (string Pattern, AddedToken Token)[]> byFirst;

        public Matcher(IEnumerable<(string Pattern, AddedToken Token)> patterns) =>
            byFirst = patterns.Where(p => p.Pattern.Length > 0)
                .GroupBy(p => p.Pattern[0])
                .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Pattern.Length).ToArray());

        public List<(AlignedText, AddedToken?)> Split(AlignedText text)
        {
            var result = new List<(AlignedText, AddedToken?)>();
            if (byFirst.Count == 0 || text.Length == 0)
            {
                result.Add((text, null));
                return result;
            }
            string s = text.Text;
            var found = new List<(int Start, int End, AddedToken Token)>();
            int i = 0;
            int lastEnd = 0;
            while (i < s.Length)
            {
                (string Pattern, AddedToken Token)? hit = null;
                if (byFirst.TryGetValue(s[i], out var candidates))
                    foreach (var c in candidates)
                        if (string.CompareOrdinal(s, i, c.Pattern, 0, c.Pattern.Length) == 0) { hit = c; break; }
                if (hit is not { } h)
                {
                    i++;
                    continue;
                }
                int start = i, end = i + h.Pattern.Length;
                if (h.Token.SingleWord && ((start > 0 && IsWordChar(s[start - 1])) || (end < s.Length && IsWordChar(s[end]))))
                {
                    i = end;
                    continue;
                }
                if (h.Token.LStrip) while (start > lastEnd && char.IsWhiteSpace(s[start - 1])) start--;
                if (h.Token.RStrip) while (end < s.Length && char.IsWhiteSpace(s[end])) end++;
                found.Add((start, end, h.Token));
                lastEnd = end;
                i = end;
            }
            int at = 0;
            foreach (var (start, end, token) in found)
            {
                if (start > at) result.Add((text.Slice(at, start - at), null));
                result.Add((text.Slice(start, end - start), token));
                at = end;
            }
            if (at < s.Length) result.Add((text.Slice(at, s.Length - at), null));
            return result;
        }

        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }
}
