namespace PrefLab.Text.Jinja;

public enum TokenKind
{
    Text,
    /// <summary>"{{": the start of an expression to print.</summary>
    PrintOpen,
    /// <summary>"}}".</summary>
    PrintClose,
    /// <summary>"{%": the start of a statement.</summary>
    BlockOpen,
    /// <summary>"%}".</summary>
    BlockClose,
    Name,
    String,
    Integer,
    Float,
    /// <summary>An operator or punctuation: + - * / // % ** ~ == != &lt; &gt; &lt;= &gt;= = ( ) [ ] { } , . : |</summary>
    Op,
    End,
}

/// <summary>One lexical token; <see cref="Value"/> is the text (a string literal's decoded value).</summary>
public readonly record struct Token(TokenKind Kind, string Value, SourcePos Pos)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsOp(string op) => Kind == TokenKind.Op && Value == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.Text => "text",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
