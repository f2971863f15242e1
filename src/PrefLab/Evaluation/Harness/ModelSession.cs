using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Evaluation.Suites;
using PrefLab.Models.Config;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// A model loaded for evaluation: its weights, tokenizer and chat format (null for raw prompts), and how requests
/// become token ids: generation prompts and the scored sequences of multiple-choice options.
/// </summary>
public sealed class ModelSession : IDisposable
{
    ModelSession(string folder, CausalLM model, HfTokenizer tokenizer, ChatTokenizer? chat)
    {
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        Chat = chat;
    }

    public string Folder { get; }
    public CausalLM Model { get; }
    public HfTokenizer Tokenizer { get; }

    /// <summary>The chat renderer; null when prompts are sent as plain text (<see cref="EvaluationOptions.Raw"/>).</summary>
    public ChatTokenizer? Chat { get; }

    /// <summary>Loads tokenizer and chat format first (cheap, and their errors name the folder), then the weights.</summary>
    public static ModelSession Open(string folder, EvaluationOptions options)
    {
        var tokenizer = TokenizerLoader.Load(folder);
        ChatTokenizer? chat = null;
        if (!options.Raw)
        {
            if (options.ChatFormat is null && string.IsNullOrWhiteSpace(tokenizer.Config.ChatTemplate))
                throw UserError.InOption("chat-format",
                    $"{folder}: its tokenizer_config.json has no chat_template; name a chat format ({ChatFormats.KnownNames}) or evaluate with --raw");
            chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        }
        TorchRuntime.EnsureLoaded();
        var model = CausalLM.Load(folder);
        return new ModelSession(folder, model, tokenizer, chat);
    }

    /// <summary>The ids of a generation prompt: the chat-rendered user message with the assistant header, or the
    /// plain text with the tokenizer's special tokens.</summary>
    public int[] PromptIds(string prompt)
    {
        int[] ids = Chat is not null ? Chat.Prompt([Message.User(prompt)]) : Tokenizer.Encode(prompt, addSpecialTokens: true).ToArray();
        if (ids.Length == 0) throw new UserError($"{Folder}: the prompt \"{Shorten(prompt)}\" tokenizes to no tokens");
        return ids;
    }

    /// <summary>One scored sequence per option of the request (see <see cref="ChoiceStyle"/> for the layout).</summary>
    public IReadOnlyList<ScoredSequence> ChoiceSequences(ChoiceRequest request)
    {
        var sequences = new List<ScoredSequence>(request.Options.Count);
        int[]? context = null;
        foreach (string option in request.Options)
        {
            if (Chat is not null && request.Style == ChoiceStyle.WholeResponse)
            {
                var rendered = Chat.Format.Render(Tokenizer, [new ChatMessage(ChatMessage.User, request.Prompt), new ChatMessage(ChatMessage.Assistant, option)]);
                var mask = rendered.FinalTurnMask();
                // The rendering may end with text after the turn (Tulu's newline): it is neither scored nor needed.
                int end = Array.LastIndexOf(mask, true) + 1;
                sequences.Add(Fit(new ScoredSequence(rendered.Ids[..end], mask[..end]), option));
                continue;
            }
            context ??= Chat is not null ? Chat.Prompt([Message.User(request.Prompt)]) : Tokenizer.Encode(request.Prompt, addSpecialTokens: true).ToArray();
            string text = Chat is not null ? option.TrimStart() : option;
            int[] continuation = Tokenizer.Encode(text, addSpecialTokens: false).ToArray();
            if (continuation.Length == 0) throw new UserError($"option \"{Shorten(option)}\" of \"{Shorten(request.Prompt)}\" tokenizes to no tokens");
            var ids = context.Concat(continuation).ToArray();
            var scored = Enumerable.Repeat(false, context.Length).Concat(Enumerable.Repeat(true, continuation.Length)).ToArray();
            sequences.Add(Fit(new ScoredSequence(ids, scored), option));
        }
        return sequences;
    }

    // Learned position embeddings end at MaxPositionEmbeddings: drop context from the left, as lm-eval-harness does.
    ScoredSequence Fit(ScoredSequence sequence, string option)
    {
        int limit = Model.Config.MaxPositionEmbeddings;
        if (Model.Config is not Gpt2Config || sequence.Ids.Length <= limit) return sequence;
        int cut = sequence.Ids.Length - limit;
        if (sequence.Scored.Take(cut + 1).Any(s => s))
            throw new UserError($"option \"{Shorten(option)}\" is longer than the model's {limit} positions");
        return new ScoredSequence(sequence.Ids[cut..], sequence.Scored[cut..]);
    }

    static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    public void Dispose() => Model.Dispose();
}

/// <summary>Token ids and which of them are scored (the option's tokens). Position 0 is never scored.</summary>
public sealed record ScoredSequence(int[] Ids, bool[] Scored)
{
    public int ScoredCount => Scored.Count(s => s);
}
