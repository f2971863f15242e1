using PrefLab.World.Knowledge;
using PrefLab.World.Tasks;

namespace PrefLab.World.Scoring;

/// <summary>
/// "tell me about X". helpfulness: coverage (distinct relevant facts stated correctly, over the task's target,
/// at most 1) minus the form's penalties (repetition, excess length); correctness: the share of the response's
/// distinct claims that are true; honesty: 1 minus 0.5 per false claim; instruction_following: the requested
/// attributes addressed (or, open-ended, X addressed at all).
/// </summary>
public static class HelpfulnessScorer
{
    public static GoldScore Score(HelpfulnessTask task, ResponseAnalysis response, KnowledgeBase kb)
    {
        var claims = Claims.Extract(response.Tokens, kb, task.Entity).Distinct().ToList();
        int covered = task.Relevant.Count(f => claims.Any(c => c.Subject == f.Entity && c.Attribute == f.Attribute && c.Value == f.Value));
        double coverage = Math.Min(1.0, (double)covered / task.Target);
        double helpfulness = coverage - (1 - response.Style(task.Budget));
        double correctness = claims.Count == 0 ? 0 : (double)claims.Count(c => c.IsTrue(kb)) / claims.Count;
        var about = claims.Where(c => c.Subject == task.Entity).ToList();
        double instruction = task.Requested is null
            ? (about.Count > 0 ? 1 : 0)
            : (double)task.Requested.Count(a => about.Any(c => c.Attribute == a)) / task.Requested.Count;
        return GoldScore.Of(task.Category, correctness, instruction, FactScorer.Honesty(claims, kb), helpfulness);
    }
}
