using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

/// <summary>
/// One prompt of the World and everything its gold scorer needs. A task is a pure function of its prompt text
/// (given the knowledge base), so the same prompt drawn by two datasets is the same task.
/// </summary>
public abstract class WorldTask
{
    protected WorldTask(string prompt) => Prompt = WorldText.Normalize(prompt);

    /// <summary>The user message text exactly as emitted.</summary>
    public string Prompt { get; }

    /// <summary>One of <see cref="WorldCategories.All"/>.</summary>
    public abstract string Category { get; }

    /// <summary>The template family within the category (e.g. "word_problem", "myth", "harmful").</summary>
    public abstract string Family { get; }

    /// <summary>A canonical fully right response; it scores 1 with the gold judge.</summary>
    public abstract string Reference { get; }

    /// <summary>Length in tokens beyond which the gold judge starts taking off helpfulness (the reference's
    /// length plus <see cref="LengthAllowance"/>).</summary>
    public int Budget => WorldText.Tokens(Reference).Length + LengthAllowance;

    public const int LengthAllowance = 15;

    public override string ToString() => $"{Category}/{Family}: {Prompt}";
}
