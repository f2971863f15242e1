using System.Globalization;

namespace PrefLab.Text.Jinja;

/// <summary>Parses a token list into statements and expressions, with Jinja's operator precedence (lowest
/// first): x if c else y; or; and; not; comparisons, in, not in; + -; ~; * / // %; **; unary - +; then
/// primaries with .attr, [index], [a:b:c], (call), | filter and is test.</summary>
public sealed class Parser
{
    readonly IReadOnlyList<Token> tokens;
    readonly string name;
    int at;

    Parser(IReadOnlyList<Token> tokens, string name)
    {
        this.tokens = tokens;
        this.name = name;
    }

    public static IReadOnlyList<Node> Parse(string source, string templateName)
    {
        var parser = new Parser(Lexer.Tokenize(source, templateName), templateName);
        var (body, end) = parser.Body([]);
        if (end is not null) throw parser.Error(parser.Peek.Pos, $"unexpected '{{% {end} %}}'");
        return body;
    }

    Token Peek => tokens[at];
    Token Next() => tokens[at++];

    JinjaError Error(SourcePos pos, string what) => new(name, pos.Line, pos.Column, what);

    Token Expect(TokenKind kind, string? value = null)
    {
        var t = Peek;
        if (t.Kind != kind || (value is not null && t.Value != value))
            throw Error(t.Pos, $"expected {(value is null ? kind.ToString().ToLowerInvariant() : $"'{value}'")}, found {t}");
        return Next();
    }

    string ExpectName() => Expect(TokenKind.Name).Value;

    bool Accept(string op)
    {
        if (!Peek.IsOp(op)) return false;
        at++;
        return true;
    }

    bool AcceptName(string word)
    {
        if (!Peek.IsName(word)) return false;
        at++;
        return true;
    }

    /// <summary>Parses until a block tag whose name is in <paramref name="stops"/> (left after its name) or the end.</summary>
    (List<Node> Body, string? Stop) Body(string[] stops)
    {
        var body = new List<Node>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.End:
                    return (body, null);
                case TokenKind.Text:
                    at++;
                    body.Add(new TextNode(t.Pos, t.Value));
                    break;
                case TokenKind.PrintOpen:
                    at++;
                    body.Add(new PrintNode(t.Pos, Expression()));
                    Expect(TokenKind.PrintClose);
                    break;
                case TokenKind.BlockOpen:
                    at++;
                    var word = Peek;
                    if (word.Kind != TokenKind.Name) throw Error(word.Pos, $"expected a statement name, found {word}");
                    if (stops.Contains(word.Value))
                    {
                        at++;
                        return (body, word.Value);
                    }
                    body.Add(Statement());
                    break;
                default:
                    throw Error(t.Pos, $"unexpected {t}");
            }
        }
    }

    List<Node> Block(string what, SourcePos start, params string[] stops)
    {
        var (body, stop) = Body(stops);
        if (stop is null) throw Error(start, $"'{{% {what} %}}' is not closed (expected '{{% {stops[^1]} %}}')");
        return body;
    }

    Node Statement()
    {
        var t = Next();
        switch (t.Value)
        {
            case "if": return If(t.Pos);
            case "for": return For(t.Pos);
            case "set": return Set(t.Pos);
            case "macro": return Macro(t.Pos);
            case "break": Expect(TokenKind.BlockClose); return new BreakNode(t.Pos);
            case "continue": Expect(TokenKind.BlockClose); return new ContinueNode(t.Pos);
            case "generation":
                Expect(TokenKind.BlockClose);
                var body = Block("generation", t.Pos, "endgeneration");
                Expect(TokenKind.BlockClose);
                return new GenerationNode(t.Pos, body);
            default:
                throw Error(t.Pos, $"unsupported statement '{{% {t.Value} %}}' (supported: if, for, set, macro, break, continue, generation)");
        }
    }

    Node If(SourcePos pos)
    {
        var test = Expression();
        Expect(TokenKind.BlockClose);
        var (then, stop) = Body(["elif", "else", "endif"]);
        if (stop is null) throw Error(pos, "'{% if %}' is not closed (expected '{% endif %}')");
        List<Node> otherwise = [];
        if (stop == "elif")
        {
            var elifPos = tokens[at - 1].Pos;
            otherwise.Add(If(elifPos));
            return new IfNode(pos, test, then, otherwise);
        }
        if (stop == "else")
        {
            Expect(TokenKind.BlockClose);
            otherwise = Block("if", pos, "endif");
        }
        Expect(TokenKind.BlockClose);
        return new IfNode(pos, test, then, otherwise);
    }

    Node For(SourcePos pos)
    {
        var targets = new List<string> { ExpectName() };
        while (Accept(",")) targets.Add(ExpectName());
        Expect(TokenKind.Name, "in");
        var iterable = Expression(allowCondition: false);
        Expr? filter = AcceptName("if") ? Expression(allowCondition: false) : null;
        if (Peek.IsName("recursive")) throw Error(Peek.Pos, "unsupported: recursive for loops");
        Expect(TokenKind.BlockClose);
        var (body, stop) = Body(["else", "endfor"]);
        if (stop is null) throw Error(pos, "'{% for %}' is not closed (expected '{% endfor %}')");
        List<Node> otherwise = [];
        if (stop == "else")
        {
            Expect(TokenKind.BlockClose);
            otherwise = Block("for", pos, "endfor");
        }
        Expect(TokenKind.BlockClose);
        return new ForNode(pos, targets, iterable, filter, body, otherwise);
    }

    Node Set(SourcePos pos)
    {
        var targets = new List<string> { ExpectName() };
        string? attribute = null;
        if (Accept(".")) attribute = ExpectName();
        else
            while (Accept(",")) targets.Add(ExpectName());
        if (Accept("="))
        {
            var value = Expression();
            Expect(TokenKind.BlockClose);
            return new SetNode(pos, targets, attribute, value, null);
        }
        if (attribute is not null || targets.Count > 1) throw Error(Peek.Pos, $"expected '=', found {Peek}");
        Expect(TokenKind.BlockClose);
        var body = Block("set", pos, "endset");
        Expect(TokenKind.BlockClose);
        return new SetNode(pos, targets, null, null, body);
    }

    Node Macro(SourcePos pos)
    {
        string macroName = ExpectName();
        var parameters = new List<(string, Expr?)>();
        Expect(TokenKind.Op, "(");
        while (!Accept(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Op, ",");
            if (Accept(")")) break;
            string p = ExpectName();
            parameters.Add((p, Accept("=") ? Expression() : null));
        }
        Expect(TokenKind.BlockClose);
        var body = Block("macro", pos, "endmacro");
        if (Peek.Kind == TokenKind.Name) at++;
        Expect(TokenKind.BlockClose);
        return new MacroNode(pos, macroName, parameters, body);
    }

    // ---- expressions ----

    Expr Expression(bool allowCondition = true)
    {
        var first = Or();
        if (!allowCondition) return first;
        if (Peek.IsName("if"))
        {
            var pos = Next().Pos;
            var test = Or();
            Expr? otherwise = AcceptName("else") ? Expression() : null;
            return new CondExpr(pos, test, first, otherwise);
        }
        return first;
    }

    /// <summary>An expression, or a tuple when commas follow (as in "{% set a, b = 1, 2 %}" or "(a, b)").</summary>
    Expr TupleOrExpression()
    {
        var first = Expression();
        if (!Peek.IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (Accept(","))
        {
            if (Peek.IsOp(")")) break;
            items.Add(Expression());
        }
        return new TupleExpr(first.Pos, items);
    }

    Expr Or()
    {
        var left = And();
        while (Peek.IsName("or")) left = new BinaryExpr(Next().Pos, "or", left, And());
        return left;
    }

    Expr And()
    {
        var left = Not();
        while (Peek.IsName("and")) left = new BinaryExpr(Next().Pos, "and", left, Not());
        return left;
    }

    Expr Not()
    {
        if (Peek.IsName("not")) return new UnaryExpr(Next().Pos, "not", Not());
        return Compare();
    }

    static readonly string[] Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    Expr Compare()
    {
        var left = Additive();
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.Op && Comparisons.Contains(t.Value))
            {
                at++;
                left = new BinaryExpr(t.Pos, t.Value, left, Additive());
            }
            else if (t.IsName("in"))
            {
                at++;
                left = new BinaryExpr(t.Pos, "in", left, Additive());
            }
            else if (t.IsName("not") && tokens[at + 1].IsName("in"))
            {
                at += 2;
                left = new BinaryExpr(t.Pos, "not in", left, Additive());
            }
            else return left;
        }
    }

    Expr Additive()
    {
        var left = Concat();
        while (Peek.IsOp("+") || Peek.IsOp("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Pos, t.Value, left, Concat());
        }
        return left;
    }

    Expr Concat()
    {
        var left = Multiplicative();
        while (Peek.IsOp("~")) left = new BinaryExpr(Next().Pos, "~", left, Multiplicative());
        return left;
    }

    Expr Multiplicative()
    {
        var left = Power();
        while (Peek.IsOp("*") || Peek.IsOp("/") || Peek.IsOp("//") || Peek.IsOp("%"))
        {
            var t = Next();
            left = new BinaryExpr(t.Pos, t.Value, left, Power());
        }
        return left;
    }

    Expr Power()
    {
        var left = Unary();
        while (Peek.IsOp("**")) left = new BinaryExpr(Next().Pos, "**", left, Unary());
        return left;
    }

    Expr Unary()
    {
        if (Peek.IsOp("-") || Peek.IsOp("+"))
        {
            var t = Next();
            return new UnaryExpr(t.Pos, t.Value, Unary());
        }
        return FilterAndTests(Postfix(Primary()));
    }

    Expr Primary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.String:
                string s = t.Value;
                while (Peek.Kind == TokenKind.String) s += Next().Value;
                return new ConstExpr(t.Pos, s);
            case TokenKind.Integer:
                return new ConstExpr(t.Pos, long.Parse(t.Value, CultureInfo.InvariantCulture));
            case TokenKind.Float:
                return new ConstExpr(t.Pos, double.Parse(t.Value, CultureInfo.InvariantCulture));
            case TokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new ConstExpr(t.Pos, true),
                    "false" or "False" => new ConstExpr(t.Pos, false),
                    "none" or "None" => new ConstExpr(t.Pos, null),
                    _ => new NameExpr(t.Pos, t.Value),
                };
            case TokenKind.Op when t.Value == "(":
                if (Accept(")")) return new TupleExpr(t.Pos, []);
                var inner = TupleOrExpression();
                Expect(TokenKind.Op, ")");
                return inner;
            case TokenKind.Op when t.Value == "[":
                var items = new List<Expr>();
                while (!Accept("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Op, ",");
                    if (Accept("]")) break;
                    items.Add(Expression());
                }
                return new ListExpr(t.Pos, items);
            case TokenKind.Op when t.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Accept("}"))
                {
                    if (pairs.Count > 0) Expect(TokenKind.Op, ",");
                    if (Accept("}")) break;
                    var key = Expression();
                    Expect(TokenKind.Op, ":");
                    pairs.Add((key, Expression()));
                }
                return new DictExpr(t.Pos, pairs);
            default:
                throw Error(t.Pos, $"unexpected {t} in an expression");
        }
    }

    Expr Postfix(Expr target)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOp("."))
            {
                at++;
                var attr = Next();
                if (attr.Kind is not (TokenKind.Name or TokenKind.Integer)) throw Error(attr.Pos, $"expected an attribute name, found {attr}");
                target = attr.Kind == TokenKind.Integer
                    ? new IndexExpr(t.Pos, target, new ConstExpr(attr.Pos, long.Parse(attr.Value, CultureInfo.InvariantCulture)))
                    : new AttrExpr(t.Pos, target, attr.Value);
            }
            else if (t.IsOp("["))
            {
                at++;
                target = Subscript(t.Pos, target);
            }
            else if (t.IsOp("("))
            {
                at++;
                var (args, kwargs) = Arguments();
                target = new CallExpr(target.Pos, target, args, kwargs);
            }
            else return target;
        }
    }

    Expr Subscript(SourcePos pos, Expr target)
    {
        Expr? start = null, stop = null, step = null;
        if (!Peek.IsOp(":")) start = Expression();
        if (Accept("]"))
            return new IndexExpr(pos, target, start ?? throw Error(pos, "empty subscript"));
        Expect(TokenKind.Op, ":");
        if (!Peek.IsOp(":") && !Peek.IsOp("]")) stop = Expression();
        if (Accept(":") && !Peek.IsOp("]")) step = Expression();
        Expect(TokenKind.Op, "]");
        return new SliceExpr(pos, target, start, stop, step);
    }

    /// <summary>After "(": positional and keyword arguments up to ")".</summary>
    (List<Expr>, List<(string, Expr)>) Arguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Accept(")"))
        {
            if (args.Count + kwargs.Count > 0) Expect(TokenKind.Op, ",");
            if (Accept(")")) break;
            if (Peek.Kind == TokenKind.Name && tokens[at + 1].IsOp("="))
            {
                string key = Next().Value;
                at++;
                kwargs.Add((key, Expression()));
            }
            else args.Add(Expression());
        }
        return (args, kwargs);
    }

    Expr FilterAndTests(Expr target)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOp("|"))
            {
                at++;
                var filter = Expect(TokenKind.Name);
                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (Accept("(")) (args, kwargs) = Arguments();
                target = new FilterExpr(filter.Pos, target, filter.Value, args, kwargs);
            }
            else if (t.IsName("is"))
            {
                at++;
                bool negated = AcceptName("not");
                var test = Next();
                if (test.Kind != TokenKind.Name) throw Error(test.Pos, $"expected a test name after 'is', found {test}");
                string testName = test.Value switch { "none" or "None" => "none", "true" or "True" => "true", "false" or "False" => "false", _ => test.Value };
                List<Expr> args = [];
                if (Accept("(")) args = Arguments().Item1;
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float ||
                         (Peek.Kind == TokenKind.Name && !IsKeyword(Peek.Value)))
                    args = [Postfix(Primary())];
                target = new TestExpr(test.Pos, target, testName, negated, args);
            }
            else return target;
        }
    }

    static bool IsKeyword(string word) => word is "and" or "or" or "not" or "in" or "is" or "if" or "else";
}
