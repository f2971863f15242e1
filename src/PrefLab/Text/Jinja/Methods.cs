using System.Globalization;
using System.Text;

namespace PrefLab.Text.Jinja;

/// <summary>The Python methods templates call on strings (startswith, strip, split, ...), dicts (items, keys,
/// values, get) and lists; <see cref="Bind"/> returns null for a name that is not one.</summary>
internal static class Methods
{
    public static JinjaFunction? Bind(Evaluator ev, Node at, object target, string name) => target switch
    {
        string s => StringMethod(s, name),
        Dictionary<string, object?> d => DictMethod(d, name),
        List<object?> l => ListMethod(l, name),
        _ => null,
    };

    static string Arg(IReadOnlyList<object?> args, int i, string method) =>
        i < args.Count && args[i] is string s ? s : throw new CallError($"{method}() needs a string argument {i + 1}");

    static string? OptionalChars(IReadOnlyList<object?> args) => args.Count > 0 && args[0] is string c ? c : null;

    static JinjaFunction? StringMethod(string s, string name) => name switch
    {
        "startswith" => (a, _) => Affix(a, "startswith").Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (a, _) => Affix(a, "endswith").Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "strip" => (a, _) => OptionalChars(a) is { } c ? s.Trim(c.ToCharArray()) : PythonText.Strip(s),
        "lstrip" => (a, _) => OptionalChars(a) is { } c ? s.TrimStart(c.ToCharArray()) : LStrip(s),
        "rstrip" => (a, _) => OptionalChars(a) is { } c ? s.TrimEnd(c.ToCharArray()) : RStrip(s),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Title(s),
        "capitalize" => (_, _) => Capitalize(s),
        "replace" => (a, _) => Replace(s, Arg(a, 0, "replace"), Arg(a, 1, "replace"), a.Count > 2 && a[2] is long n ? n : -1),
        "split" => (a, kw) => Split(s, a.Count > 0 ? a[0] as string : kw.GetValueOrDefault("sep") as string,
            a.Count > 1 && a[1] is long m ? m : kw.GetValueOrDefault("maxsplit") is long k ? k : -1),
        "splitlines" => (_, _) => s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList() is var lines && s.EndsWith('\n') ? lines.SkipLast(1).ToList() : lines,
        "find" => (a, _) => (long)s.IndexOf(Arg(a, 0, "find"), StringComparison.Ordinal),
        "rfind" => (a, _) => (long)s.LastIndexOf(Arg(a, 0, "rfind"), StringComparison.Ordinal),
        "count" => (a, _) => (long)CountOf(s, Arg(a, 0, "count")),
        "join" => (a, _) => string.Join(s, (Values.Iterate(a.Count > 0 ? a[0] : null) ?? throw new CallError("join() needs a list")).Select(Values.Str)),
        "isdigit" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => (_, _) => s.Length > 0 && s.All(char.IsLetter),
        "isspace" => (_, _) => s.Length > 0 && PythonText.Strip(s).Length == 0,
        "format" => (a, kw) => Format(s, a, kw),
        _ => null,
    };

    static IEnumerable<string> Affix(IReadOnlyList<object?> args, string method) => args.Count > 0 && args[0] is List<object?> list
        ? list.Select(x => x as string ?? throw new CallError($"{method}() needs strings"))
        : [Arg(args, 0, method)];

    public static string LStrip(string s)
    {
        int i = 0;
        while (i < s.Length && PythonText.IsSpace(s[i])) i++;
        return s[i..];
    }

    public static string RStrip(string s)
    {
        int i = s.Length;
        while (i > 0 && PythonText.IsSpace(s[i - 1])) i--;
        return s[..i];
    }

    /// <summary>Python's str.title(): a letter after a non-letter is upper-cased, other letters lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(replacement, s.Select(c => c.ToString()).Prepend("").Append("")) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int at = 0;
        for (long n = 0; n < count; n++)
        {
            int i = s.IndexOf(old, at, StringComparison.Ordinal);
            if (i < 0 || old.Length == 0) break;
            sb.Append(s, at, i - at).Append(replacement);
            at = i + old.Length;
        }
        return sb.Append(s, at, s.Length - at).ToString();
    }

    static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python's str.split: on runs of whitespace without a separator, else on each separator.</summary>
    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var result = new List<object?>();
        if (sep is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && result.Count == maxSplit)
                {
                    result.Add(RStrip(s[i..]));
                    break;
                }
                int start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
                result.Add(s[start..i]);
            }
            return result;
        }
        if (sep.Length == 0) throw new CallError("split(): empty separator");
        int at = 0;
        while (maxSplit < 0 || result.Count < maxSplit)
        {
            int j = s.IndexOf(sep, at, StringComparison.Ordinal);
            if (j < 0) break;
            result.Add(s[at..j]);
            at = j + sep.Length;
        }
        result.Add(s[at..]);
        return result;
    }

    /// <summary>str.format with "{}", "{0}" and "{name}" fields (no format specs).</summary>
    static string Format(string s, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = s.IndexOf('}', i);
            if (close < 0) throw new CallError("format(): unmatched '{'");
            string field = s[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!')) throw new CallError($"format(): unsupported field '{{{field}}}' (only {{}}, {{N}} and {{name}})");
            object? value = field.Length == 0 ? (auto < args.Count ? args[auto++] : throw new CallError("format(): too few arguments"))
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? (n < args.Count ? args[n] : throw new CallError($"format(): no argument {n}"))
                : kwargs.TryGetValue(field, out var kv) ? kv : throw new CallError($"format(): no argument '{field}'");
            sb.Append(Values.Str(value));
            i = close;
        }
        return sb.ToString();
    }

    static JinjaFunction? DictMethod(Dictionary<string, object?> d, string name) => name switch
    {
        "items" => (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        "keys" => (_, _) => d.Keys.Cast<object?>().ToList(),
        "values" => (_, _) => d.Values.ToList(),
        "get" => (a, _) => a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null,
        _ => null,
    };

    static JinjaFunction? ListMethod(List<object?> l, string name) => name switch
    {
        "index" => (a, _) => (long)l.FindIndex(x => Values.Equals(x, a.Count > 0 ? a[0] : null)) is var i && i >= 0 ? i : throw new CallError("index(): value is not in the list"),
        "count" => (a, _) => (long)l.Count(x => Values.Equals(x, a.Count > 0 ? a[0] : null)),
        _ => null,
    };
}
