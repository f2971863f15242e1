using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Text;

namespace PrefLab.Evaluation.Harness;

/// <summary>Generates responses to prompt ids; one call per chunk of prompts the cache could not answer.</summary>
public interface IResponseGenerator
{
    /// <summary>One response per prompt, in order. <paramref name="onPromptsDone"/> reports progress in prompts.</summary>
    IReadOnlyList<GeneratedText> Generate(IReadOnlyList<int[]> promptIds, GenerationOptions options, Action<int>? onPromptsDone = null);
}

/// <summary>Makes the generator of a loaded model (see <see cref="EvaluationOptions.GeneratorFactory"/>).</summary>
public delegate IResponseGenerator ResponseGeneratorFactory(CausalLM model, HfTokenizer tokenizer);

/// <summary>The default generator: <see cref="TextGenerator.For"/> (the folder's EOS ids and pad id).</summary>
public sealed class ModelResponseGenerator(CausalLM model, HfTokenizer tokenizer) : IResponseGenerator
{
    readonly TextGenerator generator = TextGenerator.For(model, tokenizer);

    public static IResponseGenerator Create(CausalLM model, HfTokenizer tokenizer) => new ModelResponseGenerator(model, tokenizer);

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<int[]> promptIds, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        var result = generator.Generate(promptIds, options, onPromptsDone);
        return result.Sequences.Select(s => new GeneratedText(s.Text ?? "", s.TokenIds, s.FinishReason.Name())).ToList();
    }
}
