using System.Text;

namespace PrefLab.Text.Jinja;

/// <summary>Renders a parsed template: runs statements, evaluates expressions, and turns every failure into a
/// <see cref="JinjaError"/> naming the template and the position of the node that failed.</summary>
internal sealed class Evaluator(string templateName)
{
    enum Flow { Normal, Break, Continue }

    public string TemplateName => templateName;

    public JinjaError Error(Node node, string what) => new(templateName, node.Pos.Line, node.Pos.Column, what);

    public void Render(IReadOnlyList<Node> body, Scope scope, StringBuilder output)
    {
        if (Run(body, scope, output) != Flow.Normal)
            throw Error(body[0], "'{% break %}' or '{% continue %}' outside a for loop");
    }

    Flow Run(IReadOnlyList<Node> body, Scope scope, StringBuilder output)
    {
        foreach (var node in body)
        {
            var flow = Run(node, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow Run(Node node, Scope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode t:
                output.Append(t.Text);
                return Flow.Normal;
            case PrintNode p:
                output.Append(Values.Str(Eval(p.Value, scope)));
                return Flow.Normal;
            case IfNode i:
                return Run(Values.Truthy(Eval(i.Test, scope)) ? i.Then : i.Else, scope, output);
            case ForNode f:
                return For(f, scope, output);
            case SetNode s:
                Set(s, scope);
                return Flow.Normal;
            case MacroNode m:
                scope.Set(m.Name, new Macro(m, scope));
                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            case GenerationNode g:
                return Run(g.Body, scope, output);
            default:
                throw Error(node, $"unsupported node {node.GetType().Name}");
        }
    }

    void Set(SetNode s, Scope scope)
    {
        object? value;
        if (s.Body is not null)
        {
            var sb = new StringBuilder();
            Run(s.Body, new Scope(scope), sb);
            value = sb.ToString();
        }
        else value = Eval(s.Value!, scope);

        if (s.Attribute is not null)
        {
            if (!scope.TryGet(s.Targets[0], out var target) || target is not Namespace ns)
                throw Error(s, $"cannot set '{s.Targets[0]}.{s.Attribute}': '{s.Targets[0]}' is not a namespace()");
            ns.Values[s.Attribute] = value;
            return;
        }
        Assign(s, s.Targets, value, scope);
    }

    void Assign(Node node, IReadOnlyList<string> targets, object? value, Scope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], value);
            return;
        }
        var items = Values.Iterate(value);
        if (items is null || items.Count != targets.Count)
            throw Error(node, $"cannot unpack {Values.TypeName(value)} into {targets.Count} names ({string.Join(", ", targets)})");
        for (int i = 0; i < targets.Count; i++) scope.Set(targets[i], items[i]);
    }

    Flow For(ForNode f, Scope scope, StringBuilder output)
    {
        var source = Eval(f.Iterable, scope);
        var items = Values.Iterate(source) ?? throw Error(f.Iterable, $"cannot iterate over {Values.TypeName(source)}");
        items = [.. items];
        if (f.Filter is not null)
            items = items.Where(item =>
            {
                var test = new Scope(scope);
                Assign(f, f.Targets, item, test);
                return Values.Truthy(Eval(f.Filter, test));
            }).ToList();
        if (items.Count == 0) return Run(f.Else, scope, output);
        for (int i = 0; i < items.Count; i++)
        {
            var inner = new Scope(scope);
            var loop = new Dictionary<string, object?>
            {
                ["index"] = (long)(i + 1),
                ["index0"] = (long)i,
                ["revindex"] = (long)(items.Count - i),
                ["revindex0"] = (long)(items.Count - i - 1),
                ["first"] = i == 0,
                ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count,
                ["previtem"] = i > 0 ? items[i - 1] : new Undefined("loop.previtem"),
                ["nextitem"] = i + 1 < items.Count ? items[i + 1] : new Undefined("loop.nextitem"),
                ["depth"] = 1L,
                ["depth0"] = 0L,
            };
            int index = i;
            loop["cycle"] = (JinjaFunction)((args, _) => args.Count == 0 ? null : args[index % args.Count]);
            inner.Set("loop", loop);
            Assign(f, f.Targets, items[i], inner);
            if (Run(f.Body, inner, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    // ---- expressions ----

    public object? Eval(Expr e, Scope scope)
    {
        switch (e)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var v) ? v : new Undefined(n.Name);
            case ListExpr l:
                return l.Items.Select(x => Eval(x, scope)).ToList();
            case TupleExpr t:
                return t.Items.Select(x => Eval(x, scope)).ToList();
            case DictExpr d:
                var dict = new Dictionary<string, object?>();
                foreach (var (k, val) in d.Items)
                {
                    var key = Eval(k, scope);
                    dict[key as string ?? Values.Str(key)] = Eval(val, scope);
                }
                return dict;
            case AttrExpr a:
                return Attribute(a, Eval(a.Target, scope), a.Name);
            case IndexExpr i:
                return Index(i, Eval(i.Target, scope), Eval(i.Index, scope));
            case SliceExpr s:
                return Slice(s, scope);
            case CallExpr c:
                return Call(c, scope);
            case FilterExpr f:
                return Filters.Apply(this, f, Eval(f.Target, scope), f.Args.Select(x => Eval(x, scope)).ToList(),
                    f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope)));
            case TestExpr t:
                bool result = Tests.Apply(this, t, Eval(t.Target, scope), t.Args.Select(x => Eval(x, scope)).ToList());
                return t.Negated ? !result : result;
            case UnaryExpr u:
                return Unary(u, Eval(u.Operand, scope));
            case BinaryExpr b:
                return Binary(b, scope);
            case CondExpr c:
                return Values.Truthy(Eval(c.Test, scope)) ? Eval(c.Then, scope)
                    : c.Else is null ? new Undefined("(if without else)") : Eval(c.Else, scope);
            default:
                throw Error(e, $"unsupported expression {e.GetType().Name}");
        }
    }

    object? Attribute(Node at, object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw Error(at, $"'{u.Name}' is undefined, so it has no attribute '{name}'");
            case null:
                throw Error(at, $"None has no attribute '{name}'");
            case Namespace ns:
                return ns.Values.TryGetValue(name, out var nv) ? nv : new Undefined(name);
        }
        if (Methods.Bind(this, at, target, name) is { } method) return method;
        if (target is Dictionary<string, object?> dict)
            return dict.TryGetValue(name, out var dv) ? dv : new Undefined(name);
        return new Undefined(name);
    }

    object? Index(Node at, object? target, object? index)
    {
        switch (target)
        {
            case Dictionary<string, object?> dict:
                string key = index as string ?? Values.Str(index);
                if (dict.TryGetValue(key, out var v)) return v;
                return index is string s && Methods.Bind(this, at, target, s) is { } m ? m : new Undefined(key);
            case List<object?> list when index is long i:
                long j = i < 0 ? i + list.Count : i;
                return j >= 0 && j < list.Count ? list[(int)j] : new Undefined($"[{i}]");
            case string str when index is long i:
                var chars = Values.Iterate(str)!;
                long k = i < 0 ? i + chars.Count : i;
                return k >= 0 && k < chars.Count ? chars[(int)k] : new Undefined($"[{i}]");
            case Namespace ns when index is string name:
                return ns.Values.TryGetValue(name, out var nv) ? nv : new Undefined(name);
            case Undefined u:
                throw Error(at, $"'{u.Name}' is undefined, so it cannot be indexed with {Values.Repr(index)}");
            case null:
                throw Error(at, $"None cannot be indexed with {Values.Repr(index)}");
            default:
                if (index is string attr) return Attribute(at, target, attr);
                throw Error(at, $"cannot index {Values.TypeName(target)} with {Values.TypeName(index)}");
        }
    }

    object Slice(SliceExpr s, Scope scope)
    {
        var target = Eval(s.Target, scope);
        long? Bound(Expr? x)
        {
            if (x is null) return null;
            var v = Eval(x, scope);
            return v switch
            {
                null => null,
                long l => l,
                _ => throw Error(x, $"slice indices must be integers, not {Values.TypeName(v)}"),
            };
        }
        if (target is not (string or List<object?>)) throw Error(s, $"cannot slice {Values.TypeName(target)}");
        long? step = Bound(s.Step);
        if (step == 0) throw Error(s, "slice step cannot be zero");
        return Values.Slice(target, Bound(s.Start), Bound(s.Stop), step);
    }

    object? Call(CallExpr c, Scope scope)
    {
        var callee = Eval(c.Callee, scope);
        var args = c.Args.Select(x => Eval(x, scope)).ToList();
        var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
        switch (callee)
        {
            case JinjaFunction f:
                try
                {
                    return f(args, kwargs);
                }
                catch (JinjaError)
                {
                    throw;
                }
                catch (CallError ex)
                {
                    throw Error(c, ex.Message);
                }
            case Macro m:
                return CallMacro(c, m, args, kwargs);
            case Undefined u:
                throw Error(c, $"'{u.Name}' is undefined and cannot be called (PrefLab's templates know: {string.Join(", ", Globals.Names)}, and string, list and dict methods)");
            default:
                throw Error(c, $"{Values.TypeName(callee)} is not callable");
        }
    }

    string CallMacro(Node at, Macro m, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var p = m.Node.Parameters;
        if (args.Count > p.Count) throw Error(at, $"macro '{m.Node.Name}' takes {p.Count} arguments, {args.Count} given");
        var scope = new Scope(m.Closure);
        for (int i = 0; i < p.Count; i++)
        {
            object? value;
            if (i < args.Count) value = args[i];
            else if (kwargs.TryGetValue(p[i].Name, out var kv)) value = kv;
            else value = p[i].Default is { } d ? Eval(d, m.Closure) : new Undefined(p[i].Name);
            scope.Set(p[i].Name, value);
        }
        foreach (var key in kwargs.Keys)
            if (!p.Any(x => x.Name == key)) throw Error(at, $"macro '{m.Node.Name}' has no parameter '{key}'");
        var sb = new StringBuilder();
        Run(m.Node.Body, scope, sb);
        return sb.ToString();
    }

    object? Unary(UnaryExpr u, object? v) => u.Op switch
    {
        "not" => !Values.Truthy(v),
        "-" => v switch
        {
            long l => (object)(-l),
            double d => -d,
            bool b => b ? -1L : 0L,
            _ => throw Error(u, $"bad operand for unary -: {Values.TypeName(v)}"),
        },
        "+" => Values.IsNumber(v) ? v : throw Error(u, $"bad operand for unary +: {Values.TypeName(v)}"),
        _ => throw Error(u, $"unsupported operator '{u.Op}'"),
    };

    object? Binary(BinaryExpr b, Scope scope)
    {
        var left = Eval(b.Left, scope);
        if (b.Op == "and") return Values.Truthy(left) ? Eval(b.Right, scope) : left;
        if (b.Op == "or") return Values.Truthy(left) ? left : Eval(b.Right, scope);
        var right = Eval(b.Right, scope);
        switch (b.Op)
        {
            case "==": return Values.Equals(left, right);
            case "!=": return !Values.Equals(left, right);
            case "<" or ">" or "<=" or ">=":
                int c = Values.Compare(left, right)
                    ?? throw Error(b, $"'{b.Op}' is not supported between {Values.TypeName(left)} and {Values.TypeName(right)}");
                return b.Op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
            case "in": return Contains(b, right, left);
            case "not in": return !Contains(b, right, left);
            case "~": return Values.Str(left) + Values.Str(right);
        }
        if (left is Undefined ul) throw Error(b, $"'{ul.Name}' is undefined (in '{b.Op}')");
        if (right is Undefined ur) throw Error(b, $"'{ur.Name}' is undefined (in '{b.Op}')");
        switch (b.Op)
        {
            case "+" when left is string ls && right is string rs: return ls + rs;
            case "+" when left is List<object?> ll && right is List<object?> rl: return ll.Concat(rl).ToList();
            case "*" when left is string s && right is long n: return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
            case "*" when left is List<object?> l && right is long n: return Enumerable.Repeat(l, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
        }
        if (!Values.IsNumber(left) || !Values.IsNumber(right))
            throw Error(b, $"unsupported operand types for {b.Op}: {Values.TypeName(left)} and {Values.TypeName(right)}");
        if (left is bool) left = Values.ToDouble(left) is var dl && dl == 1 ? 1L : 0L;
        if (right is bool) right = Values.ToDouble(right) is var dr && dr == 1 ? 1L : 0L;
        if (left is long a && right is long c2)
            switch (b.Op)
            {
                case "+": return a + c2;
                case "-": return a - c2;
                case "*": return a * c2;
                case "/": return c2 == 0 ? throw Error(b, "division by zero") : (double)a / c2;
                case "//": return c2 == 0 ? throw Error(b, "division by zero") : (long)Math.Floor((double)a / c2);
                case "%": return c2 == 0 ? throw Error(b, "modulo by zero") : ((a % c2) + c2) % c2;
                case "**": return c2 >= 0 ? (object)(long)Math.Pow(a, c2) : Math.Pow(a, c2);
            }
        double x = Values.ToDouble(left), y = Values.ToDouble(right);
        return b.Op switch
        {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" => y == 0 ? throw Error(b, "division by zero") : x / y,
            "//" => y == 0 ? throw Error(b, "division by zero") : Math.Floor(x / y),
            "%" => y == 0 ? throw Error(b, "modulo by zero") : x - y * Math.Floor(x / y),
            "**" => Math.Pow(x, y),
            _ => throw Error(b, $"unsupported operator '{b.Op}'"),
        };
    }

    bool Contains(Node at, object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw Error(at, $"'in <string>' requires a string on the left, not {Values.TypeName(item)}"),
        List<object?> list => list.Any(x => Values.Equals(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        Namespace ns => item is string key && ns.Values.ContainsKey(key),
        Undefined => false,
        _ => throw Error(at, $"'in' needs a string, list or dict on the right, not {Values.TypeName(container)}"),
    };
}

/// <summary>Thrown by a function or filter for a bad argument; the evaluator adds the template position.</summary>
internal sealed class CallError(string message) : Exception(message);
