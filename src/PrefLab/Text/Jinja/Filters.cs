using System.Globalization;
using System.Net;

namespace PrefLab.Text.Jinja;

/// <summary>The filters ("x | name(args)") that Hugging Face chat templates use; an unknown one is an error
/// naming it and the known ones.</summary>
internal static class Filters
{
    public static readonly string[] Names =
    [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "indent", "int",
        "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
        "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim",
        "unique", "upper", "wordcount",
    ];

    public static object? Apply(Evaluator ev, FilterExpr f, object? v, List<object?> a, Dictionary<string, object?> kw)
    {
        try
        {
            return Run(ev, f, v, a, kw);
        }
        catch (CallError ex)
        {
            throw ev.Error(f, $"filter '{f.Name}': {ex.Message}");
        }
    }

    static object? Arg(List<object?> a, Dictionary<string, object?> kw, int i, string name, object? dflt = null) =>
        i >= 0 && i < a.Count ? a[i] : kw.TryGetValue(name, out var v) ? v : dflt;

    static List<object?> Items(object? v, string filter) =>
        Values.Iterate(v) ?? throw new CallError($"{Values.TypeName(v)} is not iterable");

    static string Text(object? v, string filter) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Values.Str(v),
    };

    static object? Run(Evaluator ev, FilterExpr f, object? v, List<object?> a, Dictionary<string, object?> kw)
    {
        switch (f.Name)
        {
            case "trim":
                return Arg(a, kw, 0, "chars") is string chars ? Text(v, f.Name).Trim(chars.ToCharArray()) : PythonText.Strip(Text(v, f.Name));
            case "length" or "count":
                return Values.Length(v) ?? throw new CallError($"{Values.TypeName(v)} has no length");
            case "upper": return Text(v, f.Name).ToUpperInvariant();
            case "lower": return Text(v, f.Name).ToLowerInvariant();
            case "title": return Methods.Title(Text(v, f.Name));
            case "capitalize": return Methods.Capitalize(Text(v, f.Name));
            case "string": return Values.Str(v);
            case "safe": return v;
            case "e" or "escape": return WebUtility.HtmlEncode(Text(v, f.Name)).Replace("&#39;", "&#39;");
            case "default" or "d":
                bool boolean = Values.Truthy(Arg(a, kw, 1, "boolean", false));
                return v is Undefined || (boolean && !Values.Truthy(v)) ? Arg(a, kw, 0, "default_value", "") : v;
            case "join":
                var attribute = Arg(a, kw, 1, "attribute") as string;
                return string.Join(Text(Arg(a, kw, 0, "d", ""), f.Name),
                    Items(v, f.Name).Select(x => Values.Str(attribute is null ? x : Attr(ev, f, x, attribute))));
            case "first":
                var fl = Items(v, f.Name);
                return fl.Count > 0 ? fl[0] : new Undefined("first of an empty sequence");
            case "last":
                var ll = Items(v, f.Name);
                return ll.Count > 0 ? ll[^1] : new Undefined("last of an empty sequence");
            case "list": return Items(v, f.Name).ToList();
            case "reverse": return v is string rs ? string.Concat(Values.Iterate(rs)!.Select(x => (string)x!).Reverse()) : Items(v, f.Name).AsEnumerable().Reverse().ToList();
            case "unique": return Items(v, f.Name).Aggregate(new List<object?>(), (acc, x) => { if (!acc.Any(y => Values.Equals(x, y))) acc.Add(x); return acc; });
            case "int":
                return v switch
                {
                    long l => l,
                    double d => (long)Math.Truncate(d),
                    bool b => b ? 1L : 0L,
                    string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long p) => p,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => (long)Math.Truncate(p),
                    _ => Arg(a, kw, 0, "default", 0L),
                };
            case "float":
                return v switch
                {
                    long or double or bool => Values.ToDouble(v),
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => p,
                    _ => Arg(a, kw, 0, "default", 0.0),
                };
            case "abs":
                return v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), _ => throw new CallError($"abs of {Values.TypeName(v)}") };
            case "round":
                long precision = Arg(a, kw, 0, "precision", 0L) is long pr ? pr : 0;
                return Math.Round(Values.IsNumber(v) ? Values.ToDouble(v) : throw new CallError($"round of {Values.TypeName(v)}"), (int)precision, MidpointRounding.ToEven);
            case "items":
                return v switch
                {
                    Dictionary<string, object?> d => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
                    Undefined => new List<object?>(),
                    _ => throw new CallError($"{Values.TypeName(v)} is not a mapping"),
                };
            case "dictsort":
                return v is Dictionary<string, object?> ds
                    ? ds.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw new CallError($"{Values.TypeName(v)} is not a mapping");
            case "replace":
                return Methods.Replace(Text(v, f.Name), Text(Arg(a, kw, 0, "old"), f.Name), Text(Arg(a, kw, 1, "new"), f.Name), Arg(a, kw, 2, "count") is long c ? c : -1);
            case "indent":
                return Indent(Text(v, f.Name), Arg(a, kw, 0, "width", 4L), Values.Truthy(Arg(a, kw, 1, "first", false)), Values.Truthy(Arg(a, kw, 2, "blank", false)));
            case "tojson":
                long? indent = Arg(a, kw, 0, "indent") is long n ? n : null;
                List<object?>? separators = kw.GetValueOrDefault("separators") as List<object?>;
                return JsonValues.ToJson(v, (int?)indent, separators?[0] as string, separators?[1] as string, Values.Truthy(kw.GetValueOrDefault("sort_keys")));
            case "selectattr" or "rejectattr":
                string attr = Text(Arg(a, kw, 0, "attribute"), f.Name);
                bool keep = f.Name == "selectattr";
                return Items(v, f.Name).Where(x => Select(ev, f, Attr(ev, f, x, attr), a.Skip(1).ToList()) == keep).ToList();
            case "select" or "reject":
                bool sel = f.Name == "select";
                return Items(v, f.Name).Where(x => Select(ev, f, x, a) == sel).ToList();
            case "map":
                if (Arg(a, kw, -1, "attribute") is string mapAttr)
                    return Items(v, f.Name).Select(x => Attr(ev, f, x, mapAttr) is Undefined && kw.TryGetValue("default", out var dv) ? dv : Attr(ev, f, x, mapAttr)).ToList();
                if (a.Count > 0 && a[0] is string filterName)
                    return Items(v, f.Name).Select(x => Run(ev, f with { Name = filterName }, x, a.Skip(1).ToList(), [])).ToList();
                throw new CallError("map needs attribute= or a filter name");
            case "attr":
                return Attr(ev, f, v, Text(Arg(a, kw, 0, "name"), f.Name));
            case "sort":
                var sortAttr = Arg(a, kw, 2, "attribute") as string;
                bool reverse = Values.Truthy(Arg(a, kw, 0, "reverse", false));
                var sorted = Items(v, f.Name).ToList();
                Comparison<object?> cmp = (x, y) =>
                {
                    var kx = sortAttr is null ? x : Attr(ev, f, x, sortAttr);
                    var ky = sortAttr is null ? y : Attr(ev, f, y, sortAttr);
                    return Values.Compare(kx, ky) ?? throw new CallError($"cannot compare {Values.TypeName(kx)} and {Values.TypeName(ky)}");
                };
                var ordered = sorted.Select((x, i) => (x, i)).OrderBy(p => p, Comparer<(object? x, int i)>.Create((p, q) => cmp(p.x, q.x) is var c && c != 0 ? c : p.i.CompareTo(q.i))).Select(p => p.x).ToList();
                if (reverse) ordered.Reverse();
                return ordered;
            case "sum":
                object? total = Arg(a, kw, 1, "start", 0L);
                foreach (var x in Items(v, f.Name))
                    total = total is long t && x is long y ? t + y : Values.ToDouble(total) + Values.ToDouble(x);
                return total;
            case "min" or "max":
                var mm = Items(v, f.Name);
                if (mm.Count == 0) return new Undefined($"{f.Name} of an empty sequence");
                return mm.Aggregate((x, y) => (Values.Compare(x, y) ?? 0) is var c && (f.Name == "min" ? c <= 0 : c >= 0) ? x : y);
            case "wordcount":
                return (long)Methods.Split(Text(v, f.Name), null, -1).Count;
            default:
                throw ev.Error(f, $"unsupported filter '{f.Name}' (supported: {string.Join(", ", Names)})");
        }
    }

    static object? Attr(Evaluator ev, Node at, object? target, string name)
    {
        object? current = target;
        foreach (var part in name.Split('.'))
            current = current switch
            {
                Dictionary<string, object?> d => d.TryGetValue(part, out var v) ? v : new Undefined(part),
                List<object?> l when long.TryParse(part, CultureInfo.InvariantCulture, out long i) => i >= 0 && i < l.Count ? l[(int)i] : new Undefined(part),
                Namespace ns => ns.Values.TryGetValue(part, out var nv) ? nv : new Undefined(part),
                _ => new Undefined(part),
            };
        return current;
    }

    /// <summary>select/selectattr: with no test, truthiness; else the named test with its arguments.</summary>
    static bool Select(Evaluator ev, FilterExpr f, object? value, List<object?> testArgs)
    {
        if (testArgs.Count == 0) return Values.Truthy(value);
        string test = testArgs[0] as string ?? throw new CallError("the test name must be a string");
        return Tests.Apply(ev, new TestExpr(f.Pos, new ConstExpr(f.Pos, null), test, false, []), value, testArgs.Skip(1).ToList());
    }

    static string Indent(string s, object? width, bool first, bool blank)
    {
        string pad = width switch { long n => new string(' ', (int)n), string w => w, _ => "    " };
        var lines = s.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == 0 && !first) continue;
            if (!blank && lines[i].Length == 0) continue;
            lines[i] = pad + lines[i];
        }
        return string.Join('\n', lines);
    }
}
