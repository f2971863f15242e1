using System.Globalization;
using System.Text;

namespace PrefLab.Text.Jinja;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control as transformers configures jinja2
/// (trim_blocks and lstrip_blocks on, the final newline dropped) and as @huggingface/jinja reproduces it: the
/// newline right after a block tag or comment is removed, spaces and tabs from a line's start up to a block tag
/// or comment are removed, and "-" beside a delimiter strips all whitespace on that side.
/// </summary>
public sealed class Lexer
{
    readonly string src;
    readonly string name;
    readonly List<int> lineStarts = [0];
    readonly List<Token> tokens = [];
    int at;

    Lexer(string source, string templateName)
    {
        src = source.EndsWith('\n') ? source[..^1] : source;
        name = templateName;
        for (int i = 0; i < source.Length; i++)
            if (source[i] == '\n') lineStarts.Add(i + 1);
    }

    public static IReadOnlyList<Token> Tokenize(string source, string templateName)
    {
        var lexer = new Lexer(source, templateName);
        lexer.Run();
        return lexer.tokens;
    }

    SourcePos Pos(int index)
    {
        int line = lineStarts.BinarySearch(index);
        if (line < 0) line = ~line - 1;
        return new SourcePos(line + 1, index - lineStarts[line] + 1);
    }

    JinjaError Error(int index, string what)
    {
        var p = Pos(index);
        return new JinjaError(name, p.Line, p.Column, what);
    }

    void Run()
    {
        while (at < src.Length)
        {
            int open = NextTag(at);
            string text = src[at..(open < 0 ? src.Length : open)];
            if (open < 0)
            {
                AddText(text, at);
                break;
            }
            char kind = src[open + 1];
            bool stripLeft = open + 2 < src.Length && src[open + 2] == '-';
            bool keepLeft = open + 2 < src.Length && src[open + 2] == '+';
            if (stripLeft) text = text.TrimEnd();
            else if (kind != '{' && !keepLeft && AtLineStart(open)) text = text.TrimEnd(' ', '\t');
            AddText(text, at);
            at = open + 2 + (stripLeft || keepLeft ? 1 : 0);
            if (kind == '#') Comment(open);
            else Tag(open, kind);
        }
        tokens.Add(new Token(TokenKind.End, "", Pos(src.Length)));
    }

    void AddText(string text, int index)
    {
        if (text.Length > 0) tokens.Add(new Token(TokenKind.Text, text, Pos(index)));
    }

    int NextTag(int from)
    {
        for (int i = src.IndexOf('{', from); i >= 0 && i + 1 < src.Length; i = src.IndexOf('{', i + 1))
            if (src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>Only spaces and tabs between the line's start and <paramref name="index"/>.</summary>
    bool AtLineStart(int index)
    {
        for (int i = index - 1; i >= 0; i--)
        {
            if (src[i] == '\n') return true;
            if (src[i] is not (' ' or '\t')) return false;
        }
        return true;
    }

    void Comment(int open)
    {
        int close = src.IndexOf("#}", at, StringComparison.Ordinal);
        if (close < 0) throw Error(open, "unclosed comment: '{#' without '#}'");
        bool stripRight = close > at && src[close - 1] == '-';
        at = close + 2;
        AfterClose(stripRight, block: true);
    }

    void AfterClose(bool stripRight, bool block)
    {
        if (stripRight)
            while (at < src.Length && char.IsWhiteSpace(src[at])) at++;
        else if (block && at < src.Length && src[at] == '\n') at++;
    }

    void Tag(int open, char kind)
    {
        bool print = kind == '{';
        tokens.Add(new Token(print ? TokenKind.PrintOpen : TokenKind.BlockOpen, print ? "{{" : "{%", Pos(open)));
        int depth = 0;
        while (true)
        {
            while (at < src.Length && char.IsWhiteSpace(src[at])) at++;
            if (at >= src.Length) throw Error(open, $"unclosed tag: '{(print ? "{{" : "{%")}' without '{(print ? "}}" : "%}")}'");
            char c = src[at];
            bool dash = c == '-';
            string closer = print ? "}}" : "%}";
            if (depth == 0 && (src.AsSpan(at).StartsWith(closer) || (dash && src.AsSpan(at + 1).StartsWith(closer))))
            {
                bool stripRight = c == '-';
                int start = at;
                at += closer.Length + (stripRight ? 1 : 0);
                tokens.Add(new Token(print ? TokenKind.PrintClose : TokenKind.BlockClose, closer, Pos(start)));
                AfterClose(stripRight, block: !print);
                return;
            }
            int tokenStart = at;
            if (char.IsLetter(c) || c == '_')
            {
                while (at < src.Length && (char.IsLetterOrDigit(src[at]) || src[at] == '_')) at++;
                tokens.Add(new Token(TokenKind.Name, src[tokenStart..at], Pos(tokenStart)));
            }
            else if (char.IsAsciiDigit(c))
            {
                while (at < src.Length && (char.IsAsciiDigit(src[at]) || src[at] == '_')) at++;
                bool isFloat = at + 1 < src.Length && src[at] == '.' && char.IsAsciiDigit(src[at + 1]);
                if (isFloat)
                {
                    at++;
                    while (at < src.Length && char.IsAsciiDigit(src[at])) at++;
                }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, src[tokenStart..at].Replace("_", ""), Pos(tokenStart)));
            }
            else if (c is '\'' or '"') tokens.Add(new Token(TokenKind.String, StringLiteral(c), Pos(tokenStart)));
            else
            {
                string op = Operator();
                if (op.Length == 0) throw Error(at, $"unexpected character '{c}' in a tag");
                if (op is "{" or "[" or "(") depth++;
                else if (op is "}" or "]" or ")") depth = Math.Max(0, depth - 1);
                tokens.Add(new Token(TokenKind.Op, op, Pos(tokenStart)));
            }
        }
    }

    static readonly string[] Operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    string Operator()
    {
        foreach (var op in Operators)
            if (src.AsSpan(at).StartsWith(op))
            {
                at += op.Length;
                return op;
            }
        return "";
    }

    /// <summary>A quoted string with Python's escapes (\n \t \r \\ \' \" \uXXXX \xXX); other backslashes stay.</summary>
    string StringLiteral(char quote)
    {
        int start = at++;
        var sb = new StringBuilder();
        while (true)
        {
            if (at >= src.Length) throw Error(start, "unterminated string literal");
            char c = src[at++];
            if (c == quote) return sb.ToString();
            if (c != '\\' || at >= src.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = src[at++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': break;
                case 'u' when at + 4 <= src.Length && int.TryParse(src.AsSpan(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int u):
                    sb.Append((char)u);
                    at += 4;
                    break;
                case 'x' when at + 2 <= src.Length && int.TryParse(src.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int x):
                    sb.Append((char)x);
                    at += 2;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }
}
