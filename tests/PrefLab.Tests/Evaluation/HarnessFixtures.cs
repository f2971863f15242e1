using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Tests.Generation;
using PrefLab.Tests.Text;
using PrefLab.Text.Chat;
using PrefLab.Text;
using static TorchSharp.torch;

namespace PrefLab.Tests.Evaluation;

/// <summary>
/// Tiny models on the World fixture tokenizer (51 words, Tulu chat template), saved as folders once per test class:
/// two policies with widely spread weights (so outputs depend on the context; <see cref="GenerationFixtures.Model"/>)
/// and a reward model. Also a temp folder for hand-made benchmark files.
/// </summary>
public sealed class TinyEvalModels : IDisposable
{
    readonly TempDir dir = new();

    public TinyEvalModels()
    {
        PolicyA = Save("policy-a", GenerationFixtures.Model(seed: 1));
        PolicyB = Save("policy-b", GenerationFixtures.Model(seed: 2));
        var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(TokenizerFixtures.Folder("world")));
        RewardModel = Save("reward-model", ScalarHeadModel.Create(config, seed: 5));
    }

    public string PolicyA { get; }
    public string PolicyB { get; }
    public string RewardModel { get; }
    public string Root => dir.Path;

    /// <summary>A fresh folder for one test's files.</summary>
    public string NewFolder(string name)
    {
        string path = Path.Combine(dir.Path, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(path);
        return path;
    }

    string Save(string name, PretrainedModel model)
    {
        string folder = dir.File(name);
        using (model)
        {
            model.Save(folder);
            ModelFolder.CopyTokenizerFiles(TokenizerFixtures.Folder("world"), folder);
        }
        return folder;
    }

    public void Dispose() => dir.Dispose();
}

/// <summary>Writes hand-made benchmark files.</summary>
public static class BenchmarkFiles
{
    public static string Jsonl(string folder, string name, params JsonObject[] rows)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, string.Concat(rows.Select(r => r.ToJsonString() + "\n")));
        return path;
    }

    public static string Text(string folder, string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}

/// <summary>Wraps a generator and counts its calls and the prompts it was given.</summary>
public sealed class CountingGenerator(IResponseGenerator inner) : IResponseGenerator
{
    public int Calls { get; private set; }
    public List<int[]> Prompts { get; } = [];

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        Calls++;
        Prompts.AddRange(prompts.Select(p => p.Ids));
        return inner.Generate(prompts, options, onPromptsDone);
    }
}

/// <summary>Answers each prompt (by its exact ids) with a scripted response; records the prompts it was asked.</summary>
public sealed class ScriptedGenerator(IReadOnlyDictionary<string, string> responses) : IResponseGenerator
{
    public List<int[]> Prompts { get; } = [];
    public List<GenerationOptions> Options { get; } = [];

    public static string Key(int[] ids) => string.Join(',', ids);

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        Prompts.AddRange(prompts.Select(p => p.Ids));
        Options.Add(options);
        return prompts.Select(p => responses.TryGetValue(Key(p.Ids), out var text)
            ? new GeneratedText(text, [], "eos")
            : throw new InvalidOperationException($"no scripted response for prompt [{Key(p.Ids)}]")).ToList();
    }
}

/// <summary>Independent references computed the plain way (a full forward, no batching, no position selection).</summary>
public static class References
{
    public static ChatTokenizer Chat(string modelFolder)
    {
        var tokenizer = TokenizerLoader.Load(modelFolder);
        return new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
    }

    /// <summary>The chat prompt ids of a user message.</summary>
    public static int[] ChatPrompt(string modelFolder, string userText) => Chat(modelFolder).Prompt([Message.User(userText)]);

    /// <summary>Sum of log p over the scored tokens by one full forward of the unpadded sequence and
    /// <see cref="TokenLogProbs.OfCompletion"/>.</summary>
    public static double LogLikelihood(CausalLM model, int[] ids, bool[] scored)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);                  // [1, T]
        var mask = tensor(scored.Select(s => s ? 1L : 0L).ToArray()).unsqueeze(0);            // [1, T]
        var logits = model.forward(input);                                                    // [1, T, V]
        var completion = TokenLogProbs.OfCompletion(logits, input, mask);
        return completion.LogProbs.to_type(ScalarType.Float64).sum().item<double>();
    }

    /// <summary>A reward model's score of one conversation, unbatched.</summary>
    public static double RewardScore(ScalarHeadModel model, ChatTokenizer chat, string prompt, string response)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = chat.Format.Render(chat.Tokenizer, [new ChatMessage(ChatMessage.User, prompt), new ChatMessage(ChatMessage.Assistant, response)]).Ids;
        return model.Scores(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0)).to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>The greedy responses of a model folder to chat prompts (the library's generator, batch of one).</summary>
    public static IReadOnlyList<string> Greedy(string modelFolder, IReadOnlyList<string> userTexts, int maxNewTokens)
    {
        using var model = CausalLM.Load(modelFolder);
        var tokenizer = TokenizerLoader.Load(modelFolder);
        var generator = TextGenerator.For(model, tokenizer);
        return userTexts.Select(text => generator.Generate([ChatPrompt(modelFolder, text)], GenerationOptions.Greedy(maxNewTokens))[0].Text!).ToList();
    }
}
