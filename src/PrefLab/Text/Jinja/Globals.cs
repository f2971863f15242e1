using System.Globalization;

namespace PrefLab.Text.Jinja;

/// <summary>The functions every template sees: raise_exception (as transformers defines it), strftime_now,
/// range, namespace and dict.</summary>
public static class Globals
{
    public static readonly string[] Names = ["raise_exception", "strftime_now", "range", "namespace", "dict"];

    /// <summary>Adds the globals to <paramref name="scope"/>; <paramref name="now"/> gives strftime_now's time.</summary>
    public static void AddTo(Scope scope, Func<DateTime> now)
    {
        scope.Set("raise_exception", (JinjaFunction)((a, _) =>
            throw new CallError("raise_exception: " + (a.Count > 0 ? Values.Str(a[0]) : "(no message)"))));
        scope.Set("strftime_now", (JinjaFunction)((a, _) =>
            Strftime(now(), a.Count > 0 && a[0] is string f ? f : throw new CallError("strftime_now() needs a format string"))));
        scope.Set("range", (JinjaFunction)((a, _) => Range(a)));
        scope.Set("namespace", (JinjaFunction)((a, kw) =>
        {
            var ns = new Namespace();
            if (a.Count > 0 && a[0] is Dictionary<string, object?> init)
                foreach (var kv in init) ns.Values[kv.Key] = kv.Value;
            foreach (var kv in kw) ns.Values[kv.Key] = kv.Value;
            return ns;
        }));
        scope.Set("dict", (JinjaFunction)((a, kw) =>
        {
            var d = a.Count > 0 && a[0] is Dictionary<string, object?> init ? new Dictionary<string, object?>(init) : [];
            foreach (var kv in kw) d[kv.Key] = kv.Value;
            return d;
        }));
    }

    static List<object?> Range(IReadOnlyList<object?> a)
    {
        long Int(int i) => a[i] is long l ? l : throw new CallError("range() needs integers");
        long start = a.Count >= 2 ? Int(0) : 0, stop = a.Count == 1 ? Int(0) : a.Count >= 2 ? Int(1) : throw new CallError("range() needs an argument");
        long step = a.Count >= 3 ? Int(2) : 1;
        if (step == 0) throw new CallError("range() step must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) result.Add(i);
        return result;
    }

    /// <summary>Python's strftime for the common directives (%d %m %Y %y %b %B %a %A %H %I %M %S %p %j %%).</summary>
    public static string Strftime(DateTime t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char d = format[++i];
            sb.Append(d switch
            {
                'd' => t.ToString("dd", inv),
                'm' => t.ToString("MM", inv),
                'Y' => t.ToString("yyyy", inv),
                'y' => t.ToString("yy", inv),
                'b' => t.ToString("MMM", inv),
                'B' => t.ToString("MMMM", inv),
                'a' => t.ToString("ddd", inv),
                'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv),
                'I' => t.ToString("hh", inv),
                'M' => t.ToString("mm", inv),
                'S' => t.ToString("ss", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => t.DayOfYear.ToString("000", inv),
                '%' => "%",
                _ => throw new CallError($"strftime_now: unsupported directive '%{d}'"),
            });
        }
        return sb.ToString();
    }
}
