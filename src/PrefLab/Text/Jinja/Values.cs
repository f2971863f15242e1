using System.Globalization;
using System.Text;

namespace PrefLab.Text.Jinja;

/// <summary>An undefined variable or missing key: prints as "", is false, iterates as empty; any other use is an
/// error naming it (jinja2's default Undefined).</summary>
public sealed class Undefined(string name)
{
    public string Name => name;
    public override string ToString() => "";
}

/// <summary>What namespace(...) makes: the one object a template may assign attributes on.</summary>
public sealed class Namespace
{
    public Dictionary<string, object?> Values { get; } = [];
}

/// <summary>A function a template can call (a global such as raise_exception, or a bound method).</summary>
public delegate object? JinjaFunction(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

/// <summary>A {% macro %}: its definition and the scope it was defined in.</summary>
public sealed record Macro(MacroNode Node, Scope Closure);

/// <summary>A variable scope; lookups fall back to the parent.</summary>
public sealed class Scope(Scope? parent)
{
    readonly Dictionary<string, object?> vars = [];

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s.vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public Scope? Parent => parent;

    public void Set(string name, object? value) => vars[name] = value;
}

/// <summary>Python-like behaviour of template values: null (None), bool, long, double, string,
/// List&lt;object?&gt; (lists and tuples), Dictionary&lt;string, object?&gt; (mappings, in insertion order),
/// <see cref="Namespace"/>, <see cref="Undefined"/>, <see cref="Macro"/>, <see cref="JinjaFunction"/>.</summary>
public static class Values
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined u => $"undefined ('{u.Name}')",
        bool => "bool",
        long => "int",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        Namespace => "namespace",
        Macro or JinjaFunction => "function",
        _ => v.GetType().Name,
    };

    /// <summary>str(value) as Python prints it (what {{ }} writes).</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    /// <summary>repr(value) as Python writes it (inside lists and dicts).</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case string s:
                return s.Contains('\'') && !s.Contains('"') ? "\"" + s.Replace("\\", "\\\\").Replace("\n", "\\n") + "\""
                    : "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n").Replace("\t", "\\t") + "'";
            case List<object?> list:
                return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case Dictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case Namespace ns:
                return "<Namespace " + Repr(ns.Values) + ">";
            case Macro m:
                return $"<Macro '{m.Node.Name}'>";
            case JinjaFunction:
                return "<function>";
            default:
                return Str(v);
        }
    }

    static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E'))
        {
            var parts = r.Split('E');
            int exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return parts[0] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return r.Contains('.') ? r : r + ".0";
    }

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    public static new bool Equals(object? a, object? b)
    {
        if (a is Undefined && b is Undefined) return true;
        if (a is null || b is null) return a is null && b is null;
        if (a is string sa) return b is string sb && sa == sb;
        if (IsNumber(a) && IsNumber(b))
            return a is long la && b is long lb ? la == lb : ToDouble(a) == ToDouble(b);
        if (a is List<object?> xa)
            return b is List<object?> xb && xa.Count == xb.Count && xa.Zip(xb).All(p => Equals(p.First, p.Second));
        if (a is Dictionary<string, object?> da)
            return b is Dictionary<string, object?> db && da.Count == db.Count &&
                   da.All(kv => db.TryGetValue(kv.Key, out var other) && Equals(kv.Value, other));
        return ReferenceEquals(a, b);
    }

    /// <summary>Ordering for &lt; &gt; and sort: numbers with numbers, strings with strings (ordinal), lists
    /// lexicographically; null when the two cannot be compared.</summary>
    public static int? Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is long la && b is long lb ? la.CompareTo(lb) : ToDouble(a).CompareTo(ToDouble(b));
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        if (a is List<object?> xa && b is List<object?> xb)
        {
            for (int i = 0; i < Math.Min(xa.Count, xb.Count); i++)
            {
                if (Equals(xa[i], xb[i])) continue;
                return Compare(xa[i], xb[i]);
            }
            return xa.Count.CompareTo(xb.Count);
        }
        return null;
    }

    /// <summary>The items a for loop or filter iterates: a list's items, a dict's keys, a string's characters
    /// (as text elements of one UTF-16 code point), nothing for undefined; null for what is not iterable.</summary>
    public static List<object?>? Iterate(object? v) => v switch
    {
        List<object?> list => list,
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => CodePointStrings(s),
        Undefined => [],
        _ => null,
    };

    static List<object?> CodePointStrings(string s)
    {
        var result = new List<object?>();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else result.Add(s[i].ToString());
        }
        return result;
    }

    /// <summary>Python's len(): for strings, in code points.</summary>
    public static long? Length(object? v) => v switch
    {
        string s => CodePointCount(s),
        List<object?> list => list.Count,
        Dictionary<string, object?> dict => dict.Count,
        Namespace ns => ns.Values.Count,
        Undefined => 0,
        _ => null,
    };

    static long CodePointCount(string s)
    {
        long n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>Python slicing seq[start:stop:step] over a list or a string.</summary>
    public static object Slice(object seq, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new ArgumentException("slice step cannot be zero");
        bool isString = seq is string;
        var items = isString ? CodePointStrings((string)seq) : (List<object?>)seq;
        long n = items.Count;
        long Clamp(long? v, long dflt, long lo, long hi)
        {
            if (v is null) return dflt;
            long x = v.Value < 0 ? v.Value + n : v.Value;
            return Math.Clamp(x, lo, hi);
        }
        var result = new List<object?>();
        if (st > 0)
        {
            long a = Clamp(start, 0, 0, n), b = Clamp(stop, n, 0, n);
            for (long i = a; i < b; i += st) result.Add(items[(int)i]);
        }
        else
        {
            long a = Clamp(start, n - 1, -1, n - 1), b = Clamp(stop, -1, -1, n - 1);
            if (stop is not null && stop.Value < 0 && stop.Value + n < 0) b = -1;
            for (long i = a; i > b; i += st) result.Add(items[(int)i]);
        }
        if (!isString) return result;
        var sb = new StringBuilder();
        foreach (var piece in result) sb.Append((string)piece!);
        return sb.ToString();
    }
}
