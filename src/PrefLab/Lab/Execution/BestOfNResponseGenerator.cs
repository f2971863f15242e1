using PrefLab.Algorithms.BestOfN;
using PrefLab.Data.Records;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Text;

namespace PrefLab.Lab.Execution;

/// <summary>
/// The evaluation harness's generator for a best-of-N node: each chunk of prompts the harness asks for is one
/// <see cref="BestOfNSampler.Draw"/> (N samples a prompt at <paramref name="temperature"/>, the judge's pick), the same
/// draw <c>preflab bon</c> makes, so best-of-N is scored on exactly the items (and by the same scorers) as every other
/// run of the grid. The harness renders each item's prompt as one user message (it runs in chat mode for the lab),
/// which is what the judge reads beside the sample.
/// </summary>
public sealed class BestOfNResponseGenerator(CausalLM policy, HfTokenizer tokenizer, IBestOfNJudge judge, int n, double temperature)
    : IResponseGenerator
{
    readonly BestOfNSampler sampler = new(TextGenerator.For(policy, tokenizer), judge, n);
    int chunks;

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        var draw = sampler.Draw(prompts.Select(p => new BestOfNPrompt([Message.User(p.Text)], p.Ids)).ToList(),
            options with { Temperature = temperature }, chunks++);
        onPromptsDone?.Invoke(prompts.Count);
        return Enumerable.Range(0, prompts.Count).Select(p =>
        {
            var picked = draw.Picked(p);
            return new GeneratedText(picked.Text ?? "", picked.TokenIds, picked.FinishReason.Name());
        }).ToList();
    }
}
