using PrefLab.Data.Records;
using PrefLab.World.Scoring;

namespace PrefLab.Algorithms.BestOfN;

/// <summary>The rewards of a best-of-N run's samples, one way for one reward model, an ensemble, or the gold judge.</summary>
/// <param name="Rewards">[sample] the reward that picks: the model's normalised reward (raw when it stores no
/// normalisation), the ensemble's combination of its members', or the gold score; null where it could not score (too long).</param>
/// <param name="Raw">[sample] the first (or only) model's raw head output; the gold score for the gold judge.</param>
/// <param name="Members">[member][sample] each member's normalised reward, with an ensemble; else null.</param>
public sealed record SampleRewards(double?[] Rewards, double?[] Raw, IReadOnlyList<double?[]>? Members);

/// <summary>Scores best-of-N samples; the higher reward is picked.</summary>
public interface IBestOfNJudge
{
    /// <summary><paramref name="prompts"/>[i] is the conversation (up to the user turn) that <paramref name="responses"/>[i] answers.</summary>
    SampleRewards Score(IReadOnlyList<IReadOnlyList<Message>> prompts, IReadOnlyList<string> responses);
}

/// <summary>The Preference World's gold judge (GoldScore.Overall of the response to the prompt's user text): picking by
/// it is best-of-N with a perfect reward model, the ceiling any trained one can approach.</summary>
public sealed class GoldBestOfNJudge(GoldJudge judge) : IBestOfNJudge
{
    public SampleRewards Score(IReadOnlyList<IReadOnlyList<Message>> prompts, IReadOnlyList<string> responses)
    {
        var gold = prompts.Select((prompt, i) => (double?)judge.Score(UserText(prompt), responses[i]).Overall).ToArray();
        return new SampleRewards(gold, gold, null);
    }

    static string UserText(IReadOnlyList<Message> prompt) => prompt is [{ Role: Roles.User } only] ? only.Content
        : throw new ArgumentException("the gold judge scores single-turn prompts (one user message)", nameof(prompt));
}
