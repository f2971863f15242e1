using PrefLab.World.Tasks;

namespace PrefLab.World.Scoring;

/// <summary>
/// Programs over token lists. The output is read after the last "is" or "=" up to the sentence end (or is the
/// whole first sentence when neither appears), commas ignored. correctness 1 for the exact output, else half
/// the share of positions that match (so a wrong answer is at most 0.5); instruction_following: an output is
/// given; helpfulness the form.
/// </summary>
public static class CodingScorer
{
    public static GoldScore Score(CodingTask task, ResponseAnalysis response)
    {
        var output = Output(response.Tokens);
        double correctness;
        if (output.SequenceEqual(task.Output)) correctness = 1;
        else if (output.Count == 0) correctness = 0;
        else
        {
            int same = output.Zip(task.Output).Count(p => p.First == p.Second);
            correctness = 0.5 * same / Math.Max(output.Count, task.Output.Count);
        }
        return GoldScore.Of(task.Category, correctness, output.Count > 0 ? 1 : 0, 1, response.Style(task.Budget));
    }

    public static List<string> Output(IReadOnlyList<string> tokens)
    {
        int marker = -1;
        for (int i = tokens.Count - 1; i >= 0; i--)
            if (tokens[i] is "is" or "=") { marker = i; break; }
        var output = new List<string>();
        for (int i = marker + 1; i < tokens.Count; i++)
        {
            if (tokens[i] is "." or "!" or "?") break;
            if (tokens[i] != ",") output.Add(tokens[i]);
        }
        return output;
    }
}
