using PrefLab.Runtime;

namespace PrefLab.Text.Chat;

/// <summary>A piece of rendered chat text. <see cref="Assistant"/> marks text the model must learn to emit.</summary>
public readonly record struct ChatSegment(string Text, bool Assistant);

/// <summary>
/// A conversation rendered for a model: <see cref="Text"/> exactly as transformers' apply_chat_template renders
/// it, <see cref="Ids"/> its tokens with BOS exactly once, and <see cref="AssistantMask"/> (one entry per id)
/// true on the tokens of assistant turns the model must learn to emit: their content and the end-of-turn token.
/// </summary>
public sealed record RenderedChat(string Text, int[] Ids, bool[] AssistantMask)
{
    /// <summary>The mask of the final assistant turn only (the last run of true in
    /// <see cref="AssistantMask"/>): what DPO's loss covers in the paper's recipe. Its first true index is
    /// where the prompt ends.</summary>
    public bool[] FinalTurnMask()
    {
        var mask = new bool[AssistantMask.Length];
        int end = Array.LastIndexOf(AssistantMask, true);
        for (int i = end; i >= 0 && AssistantMask[i]; i--) mask[i] = true;
        return mask;
    }
}

/// <summary>
/// A chat format: renders system/user/assistant messages to text the way a known Jinja chat template does,
/// marking the assistant spans. Formats are stateless; the special-token strings come from the tokenizer.
/// </summary>
public abstract class ChatFormat
{
    /// <summary>The name used with --chat-format.</summary>
    public abstract string Name { get; }

    /// <summary>One line for help texts: what the format looks like.</summary>
    public abstract string Description { get; }

    /// <summary>Renders to segments whose concatenation is the template's text. <paramref name="bos"/> and
    /// <paramref name="eos"/> are the tokenizer's bos_token / eos_token strings (null when it has none).</summary>
    public abstract IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos);

    public string RenderText(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos) =>
        string.Concat(RenderSegments(messages, addGenerationPrompt, bos, eos).Select(s => s.Text));

    /// <summary>
    /// Renders and tokenizes. The text is tokenized without the post-processor's special tokens (its specials
    /// are in the text already); then, when <paramref name="addSpecialTokens"/> and the tokenizer would add a
    /// BOS to plain text but the template did not write one, that BOS is put in front, so a conversation
    /// starts with BOS exactly once whichever of the two writes it (e.g. the Tulu template on a Llama
    /// tokenizer gets one BOS, the Llama 3 template, which writes it, gets no second one). Where the template
    /// writes BOS or the tokenizer adds none, the ids equal transformers' apply_chat_template(tokenize=True).
    /// </summary>
    public RenderedChat Render(HfTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false, bool addSpecialTokens = true)
    {
        var segments = RenderSegments(messages, addGenerationPrompt, tokenizer.Config.BosToken, tokenizer.Config.EosToken);
        var spans = new List<(int Start, int End)>();
        int at = 0;
        foreach (var s in segments)
        {
            if (s.Assistant && s.Text.Length > 0) spans.Add((at, at + s.Text.Length));
            at += s.Text.Length;
        }
        string text = string.Concat(segments.Select(s => s.Text));
        var encoded = tokenizer.EncodeWithOffsets(text, addSpecialTokens: false);

        var ids = new List<int>();
        var mask = new List<bool>();
        string? bosText = tokenizer.Config.BosToken;
        if (addSpecialTokens && tokenizer.BosId is int bos && tokenizer.SpecialPrefixIds.Contains(bos) &&
            !(bosText is not null && text.StartsWith(bosText, StringComparison.Ordinal)))
        {
            ids.Add(bos);
            mask.Add(false);
        }
        for (int i = 0; i < encoded.Ids.Length; i++)
        {
            var (start, end) = encoded.Offsets[i];
            ids.Add(encoded.Ids[i]);
            mask.Add(spans.Any(s => start < s.End && end > s.Start));
        }
        return new RenderedChat(text, ids.ToArray(), mask.ToArray());
    }

    /// <summary>Roles must be system, user or assistant.</summary>
    protected static void CheckRoles(IReadOnlyList<ChatMessage> messages)
    {
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw new UserError($"message {i}: is null");
            if (m.Role is not (ChatMessage.System or ChatMessage.User or ChatMessage.Assistant))
                throw new UserError($"message {i}: role '{m.Role}' is not one of system, user, assistant");
            if (m.Content is null) throw new UserError($"message {i}: content is missing");
        }
    }

    protected static string Require(string? token, string what, string format) =>
        token ?? throw new UserError($"the {format} chat format needs the tokenizer's {what}, and tokenizer_config.json does not set it");

    public override string ToString() => Name;
}
