namespace PrefLab.Text.Jinja;

/// <summary>A node of a parsed template, with the position it starts at.</summary>
public abstract record Node(SourcePos Pos);

// ---- statements ----
public sealed record TextNode(SourcePos Pos, string Text) : Node(Pos);
public sealed record PrintNode(SourcePos Pos, Expr Value) : Node(Pos);
public sealed record IfNode(SourcePos Pos, Expr Test, IReadOnlyList<Node> Then, IReadOnlyList<Node> Else) : Node(Pos);
public sealed record ForNode(SourcePos Pos, IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else) : Node(Pos);
/// <summary>{% set a = x %}, {% set a, b = x %}, {% set ns.attr = x %} or the block form {% set a %}...{% endset %}.</summary>
public sealed record SetNode(SourcePos Pos, IReadOnlyList<string> Targets, string? Attribute, Expr? Value, IReadOnlyList<Node>? Body) : Node(Pos);
public sealed record MacroNode(SourcePos Pos, string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Node> Body) : Node(Pos);
public sealed record BreakNode(SourcePos Pos) : Node(Pos);
public sealed record ContinueNode(SourcePos Pos) : Node(Pos);
/// <summary>{% generation %}...{% endgeneration %} (transformers' assistant-mask marker): renders its body.</summary>
public sealed record GenerationNode(SourcePos Pos, IReadOnlyList<Node> Body) : Node(Pos);

// ---- expressions ----
public abstract record Expr(SourcePos Pos) : Node(Pos);
public sealed record ConstExpr(SourcePos Pos, object? Value) : Expr(Pos);
public sealed record NameExpr(SourcePos Pos, string Name) : Expr(Pos);
public sealed record ListExpr(SourcePos Pos, IReadOnlyList<Expr> Items) : Expr(Pos);
public sealed record TupleExpr(SourcePos Pos, IReadOnlyList<Expr> Items) : Expr(Pos);
public sealed record DictExpr(SourcePos Pos, IReadOnlyList<(Expr Key, Expr Value)> Items) : Expr(Pos);
public sealed record AttrExpr(SourcePos Pos, Expr Target, string Name) : Expr(Pos);
public sealed record IndexExpr(SourcePos Pos, Expr Target, Expr Index) : Expr(Pos);
public sealed record SliceExpr(SourcePos Pos, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);
public sealed record CallExpr(SourcePos Pos, Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Pos);
public sealed record FilterExpr(SourcePos Pos, Expr Target, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Pos);
public sealed record TestExpr(SourcePos Pos, Expr Target, string Name, bool Negated, IReadOnlyList<Expr> Args) : Expr(Pos);
public sealed record UnaryExpr(SourcePos Pos, string Op, Expr Operand) : Expr(Pos);
public sealed record BinaryExpr(SourcePos Pos, string Op, Expr Left, Expr Right) : Expr(Pos);
public sealed record CondExpr(SourcePos Pos, Expr Test, Expr Then, Expr? Else) : Expr(Pos);
