using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

public enum ReasoningOp { Gain, Lose, Bags }

/// <summary>One event of a word problem. <see cref="Bags"/> events add Count bags of Amount items each.</summary>
public sealed record ReasoningStep(ReasoningOp Op, int Amount, int Count, string Sentence)
{
    public int Apply(int value) => Op switch
    {
        ReasoningOp.Gain => value + Amount,
        ReasoningOp.Lose => value - Amount,
        _ => value + Amount * Count,
    };

    /// <summary>The worked arithmetic of this step from <paramref name="before"/>, e.g. "7 - 2 = 5 .".</summary>
    public string Work(int before) => Op switch
    {
        ReasoningOp.Gain => $"{WorldText.Number(before)} + {WorldText.Number(Amount)} = {WorldText.Number(before + Amount)} .",
        ReasoningOp.Lose => $"{WorldText.Number(before)} - {WorldText.Number(Amount)} = {WorldText.Number(before - Amount)} .",
        _ => $"{WorldText.Number(Count)} times {WorldText.Number(Amount)} = {WorldText.Number(Count * Amount)} . " +
             $"{WorldText.Number(before)} + {WorldText.Number(Count * Amount)} = {WorldText.Number(before + Count * Amount)} .",
    };
}

/// <summary>A multi-step arithmetic word problem: a start amount, one to three events, a question.
/// Gold: the final answer is right (steps may be shown).</summary>
public sealed class ReasoningTask : WorldTask
{
    public ReasoningTask(string prompt, string actor, string item, int start, IReadOnlyList<ReasoningStep> steps) : base(prompt)
    {
        Actor = actor; Item = item; Start = start; Steps = steps;
        int value = start;
        foreach (var step in steps) value = step.Apply(value);
        Answer = value;
    }

    public string Actor { get; }
    public string Item { get; }
    public int Start { get; }
    public IReadOnlyList<ReasoningStep> Steps { get; }
    public int Answer { get; }

    public override string Category => WorldCategories.Reasoning;
    public override string Family => "word_problem";

    /// <summary>Every intermediate value (start, then after each step).</summary>
    public IReadOnlyList<int> Trace()
    {
        var values = new List<int> { Start };
        foreach (var step in Steps) values.Add(step.Apply(values[^1]));
        return values;
    }

    /// <summary>The worked solution, one equation per step.</summary>
    public string Work()
    {
        var trace = Trace();
        return WorldText.Join(Steps.Select((s, i) => s.Work(trace[i])));
    }

    public override string Reference => WorldText.Join(Work(), "the answer is", WorldText.Number(Answer), ".");
}
