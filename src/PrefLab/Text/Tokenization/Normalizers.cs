using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrefLab.Text.Tokenization;

/// <summary>A tokenizer.json <c>normalizer</c>: rewrites text before pre-tokenization, keeping alignment.</summary>
internal interface INormalizer
{
    AlignedText Normalize(AlignedText text);
}

internal static class Normalizers
{
    public static INormalizer? Parse(JsonNode? node, JsonFields json, string field)
    {
        if (node is null) return null;
        var obj = json.Object(node, field);
        string type = json.TypeOf(obj, field);
        return type switch
        {
            "Sequence" => new SequenceNormalizer(json.Array(obj["normalizers"], field + ".normalizers")
                .Select((n, i) => Parse(n, json, $"{field}.normalizers[{i}]")!)
                .ToArray()),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Prepend" => new PrependNormalizer(json.String(obj["prepend"], field + ".prepend")),
            "Replace" => new ReplaceNormalizer(TextPattern.Parse(obj["pattern"], json, field + ".pattern"),
                json.String(obj["content"], field + ".content")),
            "Strip" => new StripNormalizer(json.Bool(obj, "strip_left", true, field + ".strip_left"),
                json.Bool(obj, "strip_right", true, field + ".strip_right")),
            _ => throw json.Unsupported(field, type),
        };
    }

    public static string NormalizeString(this INormalizer normalizer, string s) =>
        normalizer.Normalize(AlignedText.Original(s, 0, s.Length)).Text;
}

internal sealed class SequenceNormalizer(INormalizer[] steps) : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        foreach (var step in steps) text = step.Normalize(text);
        return text;
    }
}

/// <summary>NFC / NFD / NFKC / NFKD. The runtime's own string.Normalize does nothing under invariant
/// globalization (this project's setting), so PrefLab carries its own Unicode tables (UnicodeNormalization).
/// Alignment: each run of a starter and its following non-starters is normalized on its own, which equals
/// normalizing the whole text except across rare starter-starter compositions (then the run is coarser).</summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        string s = text.Text;
        if (UnicodeNormalization.IsQuickNormalized(s, form)) return text;
        string whole = UnicodeNormalization.Normalize(s, form);
        var b = new AlignedTextBuilder();
        var pieces = new StringBuilder();
        int i = 0;
        while (i < s.Length)
        {
            int j = i + CodePoints.LengthAt(s, i);
            while (j < s.Length && !UnicodeNormalization.IsChunkBoundary(s, j)) j += CodePoints.LengthAt(s, j);
            string chunk = UnicodeNormalization.Normalize(s.Substring(i, j - i), form);
            pieces.Append(chunk);
            var (os, oe) = text.OriginalRange(i, j);
            if (chunk.Length == j - i)
                for (int k = 0; k < chunk.Length; k++) b.Append(chunk[k], text.StartOf(i + k), text.EndOf(i + k));
            else
                b.Append(chunk, os, oe);
            i = j;
        }
        if (pieces.ToString() != whole)
        {
            var coarse = new AlignedTextBuilder();
            coarse.Append(whole, text.OriginStart, text.OriginEnd);
            return coarse.Build(text.OriginStart, text.OriginEnd);
        }
        return b.Build(text.OriginStart, text.OriginEnd);
    }
}

internal sealed class LowercaseNormalizer : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        var b = new AlignedTextBuilder();
        for (int i = 0; i < text.Length; i++) b.Append(char.ToLowerInvariant(text.Text[i]), text.StartOf(i), text.EndOf(i));
        return b.Build(text.OriginStart, text.OriginEnd);
    }
}

/// <summary>Prepends a string to non-empty text; the new chars align with the first char.</summary>
internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        if (text.Length == 0) return text;
        var b = new AlignedTextBuilder();
        b.Append(prefix, text.StartOf(0), text.EndOf(0));
        b.AppendFrom(text, 0, text.Length);
        return b.Build(text.OriginStart, text.OriginEnd);
    }
}

internal sealed class ReplaceNormalizer(TextPattern pattern, string content) : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        var matches = pattern.Matches(text.Text);
        if (matches.Count == 0) return text;
        var b = new AlignedTextBuilder();
        int at = 0;
        foreach (var (start, end) in matches)
        {
            b.AppendFrom(text, at, start);
            var (os, oe) = text.OriginalRange(start, end);
            b.Append(content, os, oe);
            at = end;
        }
        b.AppendFrom(text, at, text.Length);
        return b.Build(text.OriginStart, text.OriginEnd);
    }
}

internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public AlignedText Normalize(AlignedText text)
    {
        int start = 0, end = text.Length;
        if (left) while (start < end && char.IsWhiteSpace(text.Text[start])) start++;
        if (right) while (end > start && char.IsWhiteSpace(text.Text[end - 1])) end--;
        return start == 0 && end == text.Length ? text : text.Slice(start, end - start);
    }
}

/// <summary>A tokenizer.json pattern: <c>{"String": "..."}</c> (literal) or <c>{"Regex": "..."}</c>.</summary>
internal sealed class TextPattern
{
    readonly string? literal;
    readonly Regex? regex;

    TextPattern(string? literal, Regex? regex)
    {
        this.literal = literal;
        this.regex = regex;
    }

    public static TextPattern Literal(string s) => new(s, null);

    public static TextPattern Parse(JsonNode? node, JsonFields json, string field)
    {
        var obj = json.Object(node, field);
        if (obj["String"] is { } s) return new TextPattern(json.String(s, field + ".String"), null);
        if (obj["Regex"] is { } r)
        {
            string source = json.String(r, field + ".Regex");
            try
            {
                return new TextPattern(null, new Regex(source, RegexOptions.CultureInvariant | RegexOptions.Compiled));
            }
            catch (ArgumentException e)
            {
                throw json.Error(field + ".Regex", $"not a regular expression .NET understands: {e.Message}");
            }
        }
        throw json.Error(field, "expected {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>Non-overlapping matches, left to right, as [start, end) char ranges (empty matches skipped).</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (literal is not null)
        {
            if (literal.Length == 0) return result;
            int at = 0;
            while ((at = text.IndexOf(literal, at, StringComparison.Ordinal)) >= 0)
            {
                result.Add((at, at + literal.Length));
                at += literal.Length;
            }
            return result;
        }
        foreach (var (start, end) in CodePointRegex.Matches(regex!, text))
            if (end > start) result.Add((start, end));
        return result;
    }
}
