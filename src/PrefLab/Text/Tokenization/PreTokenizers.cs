using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrefLab.Text.Tokenization;

/// <summary>A tokenizer.json <c>pre_tokenizer</c>: splits (and may rewrite) a normalized piece into words.</summary>
internal interface IPreTokenizer
{
    void Split(AlignedText piece, List<AlignedText> output);
}

internal static class PreTokenizers
{
    public static IPreTokenizer? Parse(JsonNode? node, JsonFields json, string field)
    {
        if (node is null) return null;
        var obj = json.Object(node, field);
        string type = json.TypeOf(obj, field);
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(json.Array(obj["pretokenizers"], field + ".pretokenizers")
                .Select((n, i) => Parse(n, json, $"{field}.pretokenizers[{i}]")!).ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(json.Bool(obj, "add_prefix_space", true, field + ".add_prefix_space"),
                json.Bool(obj, "use_regex", true, field + ".use_regex")),
            "Metaspace" => MetaspacePreTokenizer.Parse(obj, json, field),
            "Split" => new SplitPreTokenizer(TextPattern.Parse(obj["pattern"], json, field + ".pattern"),
                ParseBehavior(obj, json, field), json.Bool(obj, "invert", false, field + ".invert")),
            "Digits" => new CharClassPreTokenizer(char.IsNumber,
                json.Bool(obj, "individual_digits", false, field + ".individual_digits") ? SplitBehavior.Isolated : SplitBehavior.Contiguous),
            "Whitespace" => new SplitPreTokenizer(WhitespacePattern, SplitBehavior.Removed, invert: true),
            "WhitespaceSplit" => new CharClassPreTokenizer(char.IsWhiteSpace, SplitBehavior.Removed),
            "Punctuation" => new CharClassPreTokenizer(IsPunctuation, obj["behavior"] is null ? SplitBehavior.Isolated : ParseBehavior(obj, json, field)),
            "BertPreTokenizer" => new SequencePreTokenizer([
                new CharClassPreTokenizer(char.IsWhiteSpace, SplitBehavior.Removed),
                new CharClassPreTokenizer(IsPunctuation, SplitBehavior.Isolated)]),
            _ => throw json.Unsupported(field, type),
        };
    }

    static readonly TextPattern WhitespacePattern = ParseRegex(@"\w+|[^\w\s]+");

    static TextPattern ParseRegex(string regex) =>
        TextPattern.Parse(new JsonObject { ["Regex"] = regex }, new JsonFields("(built in)"), "pattern");

    static bool IsPunctuation(char c) => char.IsPunctuation(c) || (c < 128 && char.IsSymbol(c));

    static SplitBehavior ParseBehavior(JsonObject obj, JsonFields json, string field)
    {
        string behavior = json.String(obj["behavior"], field + ".behavior");
        return behavior switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw json.Error(field + ".behavior", $"unknown split behavior '{behavior}'"),
        };
    }

    /// <summary>Cuts <paramref name="piece"/> at delimiter ranges the way Hugging Face's
    /// NormalizedString::split does for each behavior; empty pieces are dropped.</summary>
    public static void SplitAt(AlignedText piece, List<(int Start, int End)> delimiters, SplitBehavior behavior, List<AlignedText> output)
    {
        var segments = new List<(int Start, int End, bool Delimiter)>();
        int at = 0;
        foreach (var (s, e) in delimiters)
        {
            if (s > at) segments.Add((at, s, false));
            segments.Add((s, e, true));
            at = e;
        }
        if (at < piece.Length) segments.Add((at, piece.Length, false));

        // The folds below are Hugging Face's (tokenizers/src/tokenizer/normalizer.rs, NormalizedString::split).
        var merged = new List<(int Start, int End)>();
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Removed:
                merged.AddRange(segments.Where(x => !x.Delimiter).Select(x => (x.Start, x.End)));
                break;
            case SplitBehavior.Isolated:
                merged.AddRange(segments.Select(x => (x.Start, x.End)));
                break;
            case SplitBehavior.Contiguous:
                foreach (var x in segments)
                {
                    if (x.Delimiter == previousMatch && merged.Count > 0) merged[^1] = (merged[^1].Start, x.End);
                    else merged.Add((x.Start, x.End));
                    previousMatch = x.Delimiter;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var x in segments)
                {
                    if (x.Delimiter && !previousMatch && merged.Count > 0) merged[^1] = (merged[^1].Start, x.End);
                    else merged.Add((x.Start, x.End));
                    previousMatch = x.Delimiter;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = segments.Count - 1; i >= 0; i--)
                {
                    var x = segments[i];
                    if (x.Delimiter && !previousMatch && merged.Count > 0) merged[^1] = (x.Start, merged[^1].End);
                    else merged.Add((x.Start, x.End));
                    previousMatch = x.Delimiter;
                }
                merged.Reverse();
                break;
        }
        foreach (var (s, e) in merged)
            if (e > s) output.Add(s == 0 && e == piece.Length ? piece : piece.Slice(s, e - s));
    }
}

internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal sealed class SequencePreTokenizer(IPreTokenizer[] steps) : IPreTokenizer
{
    public void Split(AlignedText piece, List<AlignedText> output)
    {
        var current = new List<AlignedText> { piece };
        foreach (var step in steps)
        {
            var next = new List<AlignedText>();
            foreach (var p in current) step.Split(p, next);
            current = next;
        }
        output.AddRange(current);
    }
}

internal sealed class SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void Split(AlignedText piece, List<AlignedText> output)
    {
        var matches = pattern.Matches(piece.Text);
        if (invert)
        {
            var gaps = new List<(int, int)>();
            int at = 0;
            foreach (var (s, e) in matches)
            {
                if (s > at) gaps.Add((at, s));
                at = e;
            }
            if (at < piece.Length) gaps.Add((at, piece.Length));
            matches = gaps;
        }
        PreTokenizers.SplitAt(piece, matches, behavior, output);
    }
}

/// <summary>Splits where chars of a class are (each char a delimiter): Digits, WhitespaceSplit, Punctuation.</summary>
internal sealed class CharClassPreTokenizer(Func<char, bool> isDelimiter, SplitBehavior behavior) : IPreTokenizer
{
    public void Split(AlignedText piece, List<AlignedText> output)
    {
        var delimiters = new List<(int, int)>();
        for (int i = 0; i < piece.Length; i++)
            if (isDelimiter(piece.Text[i])) delimiters.Add((i, i + 1));
        PreTokenizers.SplitAt(piece, delimiters, behavior, output);
    }
}

/// <summary>GPT-2's byte-level step: optional prefix space, optional split with GPT-2's regex, then every
/// UTF-8 byte becomes one printable char of <see cref="ByteLevelAlphabet"/>.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    static readonly Regex Gpt2Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public void Split(AlignedText piece, List<AlignedText> output)
    {
        if (addPrefixSpace && !piece.Text.StartsWith(' '))
        {
            var b = new AlignedTextBuilder();
            b.Append(' ', piece.Length > 0 ? piece.StartOf(0) : piece.OriginStart, piece.Length > 0 ? piece.EndOf(0) : piece.OriginStart);
            b.AppendFrom(piece, 0, piece.Length);
            piece = b.Build(piece.OriginStart, piece.OriginEnd);
        }
        var words = new List<AlignedText>();
        if (useRegex)
        {
            var matches = CodePointRegex.Matches(Gpt2Pattern, piece.Text).Where(m => m.End > m.Start).ToList();
            PreTokenizers.SplitAt(piece, matches, SplitBehavior.Isolated, words);
        }
        else words.Add(piece);
        foreach (var word in words) output.Add(ByteLevelAlphabet.ToByteChars(word));
    }
}

/// <summary>SentencePiece's whitespace handling: spaces become ▁, a ▁ may be prepended (always, never, or
/// only at the start of the input: "first"), and the text may be split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : IPreTokenizer
{
    public static MetaspacePreTokenizer Parse(JsonObject obj, JsonFields json, string field)
    {
        string rep = json.OptionalString(obj, "replacement", field + ".replacement") ?? "\u2581";
        if (rep.Length != 1) throw json.Error(field + ".replacement", "must be a single character");
        string scheme = json.OptionalString(obj, "prepend_scheme", field + ".prepend_scheme")
            ?? (json.Bool(obj, "add_prefix_space", true, field + ".add_prefix_space") ? "always" : "never");
        if (scheme is not ("always" or "never" or "first"))
            throw json.Error(field + ".prepend_scheme", $"unknown prepend scheme '{scheme}' (always, never, first)");
        return new MetaspacePreTokenizer(rep[0], scheme, json.Bool(obj, "split", true, field + ".split"));
    }

    public char Replacement => replacement;
    public string PrependScheme => prependScheme;

    public void Split(AlignedText piece, List<AlignedText> output)
    {
        var b = new AlignedTextBuilder();
        bool prepend = piece.Length > 0 && piece.Text[0] != ' ' && piece.Text[0] != replacement &&
            (prependScheme == "always" || (prependScheme == "first" && piece.OriginStart == 0));
        if (prepend) b.Append(replacement, piece.StartOf(0), piece.EndOf(0));
        for (int i = 0; i < piece.Length; i++)
            b.Append(piece.Text[i] == ' ' ? replacement : piece.Text[i], piece.StartOf(i), piece.EndOf(i));
        var replaced = b.Build(piece.OriginStart, piece.OriginEnd);
        if (!split)
        {
            if (replaced.Length > 0) output.Add(replaced);
            return;
        }
        var delimiters = new List<(int, int)>();
        for (int i = 0; i < replaced.Length; i++)
            if (replaced.Text[i] == replacement) delimiters.Add((i, i + 1));
        PreTokenizers.SplitAt(replaced, delimiters, SplitBehavior.MergedWithNext, output);
    }
}

/// <summary>GPT-2's reversible map from the 256 byte values to printable chars (Ġ for space, Ċ for newline...).</summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();
    public static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    static char[] Build()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)(256 + next++);
        return map;
    }

    /// <summary>Each UTF-8 byte of each char becomes one alphabet char aligned to that char.</summary>
    public static AlignedText ToByteChars(AlignedText word)
    {
        string text = word.Text;
        int byteCount = Encoding.UTF8.GetByteCount(text);
        var chars = new char[byteCount];
        var starts = new int[byteCount];
        var ends = new int[byteCount];
        Span<byte> buffer = stackalloc byte[4];
        int at = 0;
        for (int i = 0; i < text.Length;)
        {
            int n = CodePoints.LengthAt(text, i);
            int count = n == 1 && text[i] < 0x80 ? Ascii(text[i], buffer) : Encoding.UTF8.GetBytes(text.AsSpan(i, n), buffer);
            int start = word.StartOf(i), end = word.EndOf(i + n - 1);
            for (int k = 0; k < count; k++, at++)
            {
                chars[at] = ByteToChar[buffer[k]];
                starts[at] = start;
                ends[at] = end;
            }
            i += n;
        }
        return new AlignedText(new string(chars), starts, ends, word.OriginStart, word.OriginEnd);
    }

    static int Ascii(char c, Span<byte> buffer)
    {
        buffer[0] = (byte)c;
        return 1;
    }

    /// <summary>Decodes alphabet chars back to bytes; a token with a char outside the alphabet (an added
    /// token's literal text) contributes its own UTF-8 bytes, as Hugging Face's decoder does.</summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        foreach (char c in token)
            if (!CharToByte.ContainsKey(c))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
        foreach (char c in token) bytes.Add(CharToByte[c]);
    }
}
