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

/// <summary>The Preference World's gold judge (GoldScore.Overall of the response text to the item's prompt): picking
/// by it is best-of-N with a perfect reward model, the ceiling any trained one can approach.</summary>
public sealed class GoldJudgeOfSamples(GoldJudge judge) : ISampleJudge
{
    public double[] Score(IReadOnlyList<GenerationPrompt> prompts, IReadOnlyList<GeneratedSequence> samples) =>
        prompts.Select((prompt, row) => judge.Score(prompt.Text, samples[row].Text ?? "").Overall).ToArray();
}
