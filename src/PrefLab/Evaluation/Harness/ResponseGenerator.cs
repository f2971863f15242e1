using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Text;

namespace PrefLab.Evaluation.Harness;

/// <summary>A prompt to answer: the evaluation item's prompt text (what a judge reads) and its rendered token ids
/// (what the model reads).</summary>
public sealed record GenerationPrompt(string Text, int[] Ids);

/// <summary>Generates responses to prompts; one call per chunk of prompts the cache could not answer.</summary>
public interface IResponseGenerator
{
    /// <summary>One response per prompt, in order. <paramref name="onPromptsDone"/> reports progress in prompts.</summary>
    IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null);
}

/// <summary>Makes the generator of a loaded model (see <see cref="EvaluationOptions.GeneratorFactory"/>).</summary>
public delegate IResponseGenerator ResponseGeneratorFactory(CausalLM model, HfTokenizer tokenizer);

/// <summary>The default generator: <see cref="TextGenerator.For"/> (the folder's EOS ids and pad id).</summary>
public sealed class ModelResponseGenerator(CausalLM model, HfTokenizer tokenizer) : IResponseGenerator
{
    readonly TextGenerator generator = TextGenerator.For(model, tokenizer);

    public static IResponseGenerator Create(CausalLM model, HfTokenizer tokenizer) => new ModelResponseGenerator(model, tokenizer);

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        var result = generator.Generate(prompts.Select(p => p.Ids).ToList(), options, onPromptsDone);
        return result.Sequences.Select(s => new GeneratedText(s.Text ?? "", s.TokenIds, s.FinishReason.Name())).ToList();
    }
}
