using System.Globalization;
using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Statistics;
using PrefLab.Text;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// The evaluation harness's generator for a best-of-N node: for each prompt, samples <paramref name="n"/> responses
/// from the policy at <paramref name="temperature"/> and answers with the one the <paramref name="judge"/> (a reward
/// model, or the World's gold judge) scores highest. Plugged into <see cref="Evaluator"/>, so best-of-N is scored on
/// exactly the items (and by the same scorers) as every other run of the grid.
/// The pick and the seeding are <c>bon</c>'s (<c>Algorithms.BestOfN.BestOfNJob</c>): <see cref="BestOfK.Pick"/> (ties keep the
/// earlier sample), and each call's sampling seed derived from the seed and the call's index, as bon's chunks.
/// </summary>
public sealed class BestOfNResponseGenerator(CausalLM policy, HfTokenizer tokenizer, ISampleJudge judge, int n, double temperature, long seed)
    : IResponseGenerator
{
    readonly TextGenerator generator = TextGenerator.For(policy, tokenizer);
    int calls;

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        // Each prompt repeated n times: rows differ through the per-row sampling counters. Each chunk of prompts
        // gets its own seed so chunks do not replay one another's draws.
        var repeated = prompts.SelectMany(p => Enumerable.Repeat(p, n)).ToList();
        var sampling = options with { Temperature = temperature, Seed = Seeding.Derive(seed, "bon/chunk/" + (calls++).ToString(CultureInfo.InvariantCulture)) };
        var samples = generator.Generate(repeated.Select(p => p.Ids).ToList(), sampling).Sequences;
        double[] rewards = judge.Score(repeated, samples);

        var picks = new List<GeneratedText>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
        {
            int best = p * n + BestOfK.Pick(rewards.Skip(p * n).Take(n).Select(r => (double?)r).ToList());
            var s = samples[best];
            picks.Add(new GeneratedText(s.Text ?? "", s.TokenIds, s.FinishReason.Name()));
        }
        onPromptsDone?.Invoke(prompts.Count);
        return picks;
    }
}
