using System.Text;

namespace PrefLab.Text.Jinja;

/// <summary>
/// A parsed Jinja template (the subset Hugging Face chat templates use), rendered as transformers renders
/// chat templates: trim_blocks and lstrip_blocks, no autoescaping, raise_exception and strftime_now defined.
/// Parse and render errors are <see cref="JinjaError"/>s naming <see cref="Name"/>, the line and the column.
/// </summary>
public sealed class JinjaTemplate
{
    readonly IReadOnlyList<Node> body;

    /// <summary>What errors call the template (e.g. "MODEL/tokenizer_config.json chat_template").</summary>
    public string Name { get; }

    public string Source { get; }

    JinjaTemplate(string source, string name, IReadOnlyList<Node> body)
    {
        Source = source;
        Name = name;
        this.body = body;
    }

    public static JinjaTemplate Parse(string source, string name) => new(source, name, Parser.Parse(source, name));

    /// <summary>Renders with the given variables (values as <see cref="Values"/> describes; see
    /// <see cref="JsonValues.FromJson"/>). <paramref name="now"/> is strftime_now's clock (default: local time).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var globals = new Scope(null);
        Globals.AddTo(globals, now ?? (() => DateTime.Now));
        var scope = new Scope(globals);
        foreach (var kv in variables) scope.Set(kv.Key, kv.Value);
        var output = new StringBuilder();
        new Evaluator(Name).Render(body, new Scope(scope), output);
        return output.ToString();
    }
}
