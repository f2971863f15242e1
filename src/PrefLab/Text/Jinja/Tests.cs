namespace PrefLab.Text.Jinja;

/// <summary>The tests ("x is name", "x is not name") of Jinja that chat templates use.</summary>
internal static class Tests
{
    public static readonly string[] Names =
    [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "gt", "in",
        "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence",
        "string", "true", "undefined", "upper",
    ];

    public static bool Apply(Evaluator ev, TestExpr t, object? v, List<object?> a)
    {
        object? Arg0() => a.Count > 0 ? a[0] : throw ev.Error(t, $"test '{t.Name}' needs an argument");
        switch (t.Name)
        {
            case "defined": return v is not Undefined;
            case "undefined": return v is Undefined;
            case "none": return v is null;
            case "string": return v is string;
            case "number": return v is long or double;
            case "integer": return v is long;
            case "float": return v is double;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "mapping": return v is Dictionary<string, object?>;
            case "iterable": return v is string or List<object?> or Dictionary<string, object?>;
            case "sequence": return v is string or List<object?> or Dictionary<string, object?>;
            case "callable": return v is JinjaFunction or Macro;
            case "odd": return v is long o ? o % 2 != 0 : throw ev.Error(t, $"test 'odd' needs an integer, not {Values.TypeName(v)}");
            case "even": return v is long e ? e % 2 == 0 : throw ev.Error(t, $"test 'even' needs an integer, not {Values.TypeName(v)}");
            case "divisibleby": return v is long n && Arg0() is long div && div != 0 && n % div == 0;
            case "lower": return v is string ls && ls == ls.ToLowerInvariant();
            case "upper": return v is string us && us == us.ToUpperInvariant();
            case "eq" or "equalto" or "==": return Values.Equals(v, Arg0());
            case "ne" or "!=": return !Values.Equals(v, Arg0());
            case "sameas": return v is null or bool ? Values.Equals(v, Arg0()) && Arg0()?.GetType() == v?.GetType() : ReferenceEquals(v, Arg0());
            case "lt" or "gt" or "le" or "ge":
                int c = Values.Compare(v, Arg0()) ?? throw ev.Error(t, $"cannot compare {Values.TypeName(v)} and {Values.TypeName(Arg0())}");
                return t.Name switch { "lt" => c < 0, "gt" => c > 0, "le" => c <= 0, _ => c >= 0 };
            case "in":
                return Arg0() switch
                {
                    string s => v is string sub && s.Contains(sub, StringComparison.Ordinal),
                    List<object?> l => l.Any(x => Values.Equals(x, v)),
                    Dictionary<string, object?> d => v is string k && d.ContainsKey(k),
                    _ => false,
                };
            default:
                throw ev.Error(t, $"unsupported test '{t.Name}' (supported: {string.Join(", ", Names)})");
        }
    }
}
