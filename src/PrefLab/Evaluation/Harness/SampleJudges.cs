using PrefLab.Data.Collation;
using PrefLab.Generation;
using PrefLab.Rewards;
using PrefLab.World.Scoring;

namespace PrefLab.Evaluation.Harness;

/// <summary>Scores the samples a best-of-N generator picks from: one score per row, higher is better.</summary>
public interface ISampleJudge
{
    /// <summary><paramref name="prompts"/>[i] is the prompt sample i answers (each prompt repeated once per sample).</summary>
    double[] Score(IReadOnlyList<GenerationPrompt> prompts, IReadOnlyList<GeneratedSequence> samples);
}

/// <summary>A reward model's score of prompt + response at the response's last token. The reward model reads the
/// policy's token ids directly, so the two must share a tokenizer.</summary>
public sealed class RewardModelJudge(RewardModel rewardModel) : ISampleJudge
{
    public double[] Score(IReadOnlyList<GenerationPrompt> prompts, IReadOnlyList<GeneratedSequence> samples)
    {
        var sequences = prompts.Select((prompt, row) =>
        {
            int[] ids = [.. prompt.Ids, .. samples[row].TokenIds];
            return new TokenizedSequence(ids, new bool[ids.Length]);
        }).ToList();
        return rewardModel.ScoreSequences(sequences);
    }
}

/// <summary>
/// A reward-model ensemble's score, as <c>bon</c> and online RL combine one: each member's score normalised by its stored
/// normalisation (raw when it has none), combined by <paramref name="rule"/>. Normalising matters here, unlike for one
/// reward model: members on different scales would otherwise weigh by their scale, not by the rule.
/// </summary>
public sealed class RewardEnsembleJudge(IReadOnlyList<RewardModel> members, RewardEnsemble rule) : ISampleJudge
{
    public double[] Score(IReadOnlyList<GenerationPrompt> prompts, IReadOnlyList<GeneratedSequence> samples) =>
        rule.Combine(members.Select(member =>
        {
            var raw = new RewardModelJudge(member).Score(prompts, samples);
            var normalizer = member.Normalizer;
            return raw.Select(normalizer.Apply).ToArray();
        }).ToList());
}

/// <summary>The Preference World's gold judge (GoldScore.Overall of the response text to the item's prompt): picking
/// by it is best-of-N with a perfect reward model, the ceiling any trained one can approach.</summary>
public sealed class GoldJudgeOfSamples(GoldJudge judge) : ISampleJudge
{
    public double[] Score(IReadOnlyList<GenerationPrompt> prompts, IReadOnlyList<GeneratedSequence> samples) =>
        prompts.Select((prompt, row) => judge.Score(prompt.Text, samples[row].Text ?? "").Overall).ToArray();
}
