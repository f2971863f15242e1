using PrefLab.Runtime;

namespace PrefLab.Text.Jinja;

/// <summary>A template that cannot be parsed or rendered: names the template, the line and column, and what
/// went wrong (an unsupported construct, a raise_exception message, a type error).</summary>
public sealed class JinjaError(string template, int line, int column, string what)
    : UserError($"{template}:{line}:{column}: {what}")
{
    public string Template => template;
    public int Line => line;
    public int Column => column;
    public string What => what;
}

/// <summary>A position in a template's source text (1-based line and column).</summary>
public readonly record struct SourcePos(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
