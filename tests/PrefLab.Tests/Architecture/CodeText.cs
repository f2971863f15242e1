using System.Text;

namespace PrefLab.Tests.Architecture;

/// <summary>
/// C# source with comments and the text of string and character literals blanked out, so that a name in a doc
/// comment (<c>see cref</c>) or in a message ("PrefLab.Models ...") is not taken for a reference. The holes of
/// interpolated strings (<c>$"{...}"</c>) stay, because they are code. Newlines are kept, so positions keep their
/// line. Verbatim and raw interpolated strings are blanked whole: rare here, and a name missed there only makes
/// the graph smaller, never shows a false cycle.
/// </summary>
public static class CodeText
{
    public static string WithoutCommentsAndStrings(string source)
    {
        var code = new StringBuilder(source.Length);
        Code(source, code, 0, inHole: false);
        return code.ToString();
    }

    /// <summary>Copies code from <paramref name="start"/>; inside an interpolation hole, stops at its closing brace
    /// (returning its index), else at the end.</summary>
    static int Code(string source, StringBuilder code, int start, bool inHole)
    {
        int i = start, depth = 0;
        while (i < source.Length)
        {
            char c = source[i];
            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            char previous = i > 0 ? source[i - 1] : '\0';
            if (inHole && c == '}' && depth == 0) return i;
            if (c == '{') depth++;
            else if (c == '}') depth--;
            if (c == '/' && next == '/') i = Blank(source, code, i, LineCommentEnd(source, i));
            else if (c == '/' && next == '*') i = Blank(source, code, i, End(source, i + 2, "*/"));
            else if (c == '"' && IsVerbatim(source, i)) i = Blank(source, code, i, VerbatimEnd(source, i + 1));
            else if (c == '"' && RawQuotes(source, i) is var quotes and >= 3) i = Blank(source, code, i, End(source, i + quotes, new string('"', quotes)));
            else if (c == '"' && previous == '$') i = Interpolated(source, code, i);
            else if (c == '"') i = Blank(source, code, i, EscapedEnd(source, i + 1, '"'));
            else if (c == '\'') i = Blank(source, code, i, EscapedEnd(source, i + 1, '\''));
            else { code.Append(c); i++; }
        }
        return i;
    }

    /// <summary>$"...": blanks the text, copies each {hole} as code; returns the index past the closing quote.</summary>
    static int Interpolated(string source, StringBuilder code, int quote)
    {
        code.Append(' ');
        int i = quote + 1;
        while (i < source.Length)
        {
            char c = source[i];
            if (c == '\\' || (c == '{' && i + 1 < source.Length && source[i + 1] == '{')) i = Blank(source, code, i, Math.Min(i + 2, source.Length));
            else if (c == '{')
            {
                code.Append('{');
                i = Code(source, code, i + 1, inHole: true);
                if (i < source.Length) { code.Append('}'); i++; }
            }
            else if (c == '"' || c == '\n') return Blank(source, code, i, i + 1);
            else i = Blank(source, code, i, i + 1);
        }
        return i;
    }

    /// <summary>Appends spaces for source[start..end) (newlines kept) and returns end.</summary>
    static int Blank(string source, StringBuilder code, int start, int end)
    {
        for (int k = start; k < end; k++) code.Append(source[k] == '\n' ? '\n' : ' ');
        return end;
    }

    static int LineCommentEnd(string source, int start)
    {
        int newline = source.IndexOf('\n', start);
        return newline < 0 ? source.Length : newline;
    }

    /// <summary>Index just past the first <paramref name="terminator"/> at or after <paramref name="from"/> (or the end).</summary>
    static int End(string source, int from, string terminator)
    {
        int at = source.IndexOf(terminator, from, StringComparison.Ordinal);
        return at < 0 ? source.Length : at + terminator.Length;
    }

    static int RawQuotes(string source, int start)
    {
        int count = 0;
        while (start + count < source.Length && source[start + count] == '"') count++;
        return count;
    }

    /// <summary>@"..." or $@"..." / @$"...": the prefix letters stay in the code, which is harmless.</summary>
    static bool IsVerbatim(string source, int quote) =>
        quote > 0 && (source[quote - 1] == '@' || (quote > 1 && source[quote - 1] == '$' && source[quote - 2] == '@'));

    /// <summary>End of a verbatim string, where "" is an escaped quote.</summary>
    static int VerbatimEnd(string source, int from)
    {
        for (int k = from; k < source.Length; k++)
        {
            if (source[k] != '"') continue;
            if (k + 1 < source.Length && source[k + 1] == '"') { k++; continue; }
            return k + 1;
        }
        return source.Length;
    }

    /// <summary>End of a regular string or char literal, where a backslash escapes the next character.</summary>
    static int EscapedEnd(string source, int from, char quote)
    {
        for (int k = from; k < source.Length; k++)
        {
            if (source[k] == '\\') { k++; continue; }
            if (source[k] == quote || source[k] == '\n') return k + 1;
        }
        return source.Length;
    }
}
