namespace PrefLab.Evaluation.IfEval;

/// <summary>IFEval's comparison of a count with a threshold: "less than" (count &lt; n) or "at least" (count &gt;= n).</summary>
public enum Relation
{
    LessThan,
    AtLeast,
}

public static class RelationText
{
    public const string LessThan = "less than";
    public const string AtLeast = "at least";

    public static bool Holds(this Relation relation, int count, int threshold) =>
        relation == Relation.LessThan ? count < threshold : count >= threshold;

    public static bool TryParse(string text, out Relation relation)
    {
        relation = text == LessThan ? Relation.LessThan : Relation.AtLeast;
        return text is LessThan or AtLeast;
    }
}
