namespace PrefLab.Text.Chat;

/// <summary>
/// ChatML: "&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n" per message, generation prompt
/// "&lt;|im_start|&gt;assistant\n". Some templates (Qwen2/2.5) insert a default system message when the
/// conversation has none; <see cref="DefaultSystemPrompt"/> carries it. Mask: content + &lt;|im_end|&gt;.
/// </summary>
public sealed class ChatMlFormat(string? defaultSystemPrompt = null) : ChatFormat
{
    public override string Name => "chatml";
    public override string Description => "<|im_start|>{role}\\n{content}<|im_end|>\\n (ChatML; Qwen2/2.5, OpenHermes...)";

    /// <summary>The system message a template writes when the conversation has none (null: none).</summary>
    public string? DefaultSystemPrompt => defaultSystemPrompt;

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        CheckRoles(messages);
        var result = new List<ChatSegment>();
        if (defaultSystemPrompt is not null && (messages.Count == 0 || messages[0].Role != ChatMessage.System))
            result.Add(new ChatSegment($"<|im_start|>system\n{defaultSystemPrompt}<|im_end|>\n", false));
        foreach (var m in messages)
        {
            result.Add(new ChatSegment($"<|im_start|>{m.Role}\n", false));
            bool assistant = m.Role == ChatMessage.Assistant;
            result.Add(new ChatSegment(m.Content + "<|im_end|>", assistant));
            result.Add(new ChatSegment("\n", false));
        }
        if (addGenerationPrompt) result.Add(new ChatSegment("<|im_start|>assistant\n", false));
        return result;
    }
}
