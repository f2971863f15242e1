namespace PrefLab.World.Scoring;

/// <summary>
/// The gold judgement of one response. Every number is in [0, 1]: 1 is a fully right answer (every task's
/// reference scores exactly 1), 0 is worthless. <see cref="Overall"/> is a fixed weighted sum of the four
/// aspects, with weights per category (<see cref="Weights"/>).
/// </summary>
public sealed record GoldScore(double Overall, IReadOnlyDictionary<string, double> Aspects, string Category)
{
    public const string Correctness = "correctness";
    public const string InstructionFollowing = "instruction_following";
    public const string Honesty = "honesty";
    public const string Helpfulness = "helpfulness";

    public static readonly IReadOnlyList<string> AspectNames = [Correctness, InstructionFollowing, Honesty, Helpfulness];

    /// <summary>Weights of (correctness, instruction following, honesty, helpfulness) in the overall score.</summary>
    public static (double C, double I, double H, double U) Weights(string category) => category switch
    {
        WorldCategories.Reasoning => (0.7, 0.1, 0.1, 0.1),
        WorldCategories.Factuality => (0.6, 0.1, 0.2, 0.1),
        WorldCategories.Truthfulness => (0.6, 0.0, 0.3, 0.1),
        WorldCategories.Instruction => (0.2, 0.7, 0.0, 0.1),
        WorldCategories.Coding => (0.8, 0.1, 0.0, 0.1),
        WorldCategories.Safety => (0.8, 0.0, 0.0, 0.2),
        WorldCategories.Helpfulness => (0.2, 0.1, 0.2, 0.5),
        _ => throw new ArgumentException($"unknown category '{category}'", nameof(category)),
    };

    public static GoldScore Of(string category, double correctness, double instructionFollowing, double honesty, double helpfulness)
    {
        static double Clamp(double x) => Math.Round(Math.Clamp(x, 0, 1), 9);
        correctness = Clamp(correctness); instructionFollowing = Clamp(instructionFollowing);
        honesty = Clamp(honesty); helpfulness = Clamp(helpfulness);
        var w = Weights(category);
        double overall = Clamp(w.C * correctness + w.I * instructionFollowing + w.H * honesty + w.U * helpfulness);
        var aspects = new Dictionary<string, double>(4)
        {
            [Correctness] = correctness,
            [InstructionFollowing] = instructionFollowing,
            [Honesty] = honesty,
            [Helpfulness] = helpfulness,
        };
        return new GoldScore(overall, aspects, category);
    }

    public double this[string aspect] => Aspects[aspect];
}

/// <summary>Which of two responses the gold judge prefers.</summary>
public enum Preference { A, B, Tie }
