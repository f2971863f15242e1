using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World.Scoring;

/// <summary>
/// Word problems. correctness: the final answer (the number after the last "answer is", else the last number)
/// equals the task's answer — with or without steps shown. instruction_following: a final number is given.
/// honesty: shown equations ("a + b = c", "a - b = c", "a times b = c") are arithmetically true (1 when none).
/// helpfulness: the form (<see cref="ResponseAnalysis.Style"/>).
/// </summary>
public static class ReasoningScorer
{
    public static GoldScore Score(ReasoningTask task, ResponseAnalysis response)
    {
        int? final = FinalAnswer(response.Tokens);
        double correctness = final == task.Answer ? 1 : 0;
        double instruction = final.HasValue ? 1 : 0;
        var (valid, total) = Equations(response.Tokens);
        double honesty = total == 0 ? 1 : (double)valid / total;
        return GoldScore.Of(task.Category, correctness, instruction, honesty, response.Style(task.Budget));
    }

    public static int? FinalAnswer(IReadOnlyList<string> tokens)
    {
        for (int i = tokens.Count - 2; i >= 0; i--)
        {
            if (tokens[i] == "answer" && tokens[i + 1] == "is" && ResponseAnalysis.NumberAt(tokens, i + 2, out _) is int stated)
                return stated;
        }
        int? last = null;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (ResponseAnalysis.NumberAt(tokens, i, out int end) is int n) { last = n; i = end - 1; }
        }
        return last;
    }

    /// <summary>How many shown equations are true, of how many.</summary>
    public static (int Valid, int Total) Equations(IReadOnlyList<string> tokens)
    {
        int valid = 0, total = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && WorldText.IsDigit(tokens[i - 1])) continue;
            if (ResponseAnalysis.NumberAt(tokens, i, out int afterA) is not int a) continue;
            if (afterA >= tokens.Count || tokens[afterA] is not ("+" or "-" or "times")) continue;
            string op = tokens[afterA];
            if (ResponseAnalysis.NumberAt(tokens, afterA + 1, out int afterB) is not int b) continue;
            if (afterB >= tokens.Count || tokens[afterB] != "=") continue;
            if (ResponseAnalysis.NumberAt(tokens, afterB + 1, out int afterC) is not int c) continue;
            total++;
            long expected = op switch { "+" => (long)a + b, "-" => (long)a - b, _ => (long)a * b };
            if (expected == c) valid++;
            i = afterC - 1;
        }
        return (valid, total);
    }
}
