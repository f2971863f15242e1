namespace PrefLab.Text.Chat;

/// <summary>
/// Qwen3's ChatML with thinking blocks (the template shipped with Qwen3, without tools): an assistant turn
/// after the last user message is written "&lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n{answer}" when it is the
/// last message or has reasoning (an empty block otherwise), where a "&lt;/think&gt;" in the content separates the
/// reasoning from the answer; earlier assistant turns keep only their answer. Mask: everything the assistant
/// writes after "&lt;|im_start|&gt;assistant\n" through &lt;|im_end|&gt;.
/// </summary>
public sealed class Qwen3Format : ChatFormat
{
    public override string Name => "qwen3";
    public override string Description => "ChatML with Qwen3's <think> blocks on the final assistant turns";

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        CheckRoles(messages);
        var result = new List<ChatSegment>();
        if (messages.Count > 0 && messages[0].Role == ChatMessage.System)
            result.Add(new ChatSegment($"<|im_start|>system\n{messages[0].Content}<|im_end|>\n", false));
        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role == ChatMessage.User &&
                !(messages[i].Content.StartsWith("<tool_response>", StringComparison.Ordinal) && messages[i].Content.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == ChatMessage.User || (m.Role == ChatMessage.System && i > 0))
            {
                result.Add(new ChatSegment($"<|im_start|>{m.Role}\n{m.Content}<|im_end|>\n", false));
                continue;
            }
            if (m.Role != ChatMessage.Assistant) continue;
            string content = m.Content, reasoning = "";
            int close = content.IndexOf("</think>", StringComparison.Ordinal);
            if (close >= 0)
            {
                string before = content[..close].TrimEnd('\n');
                int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
                reasoning = (open >= 0 ? before[(open + "<think>".Length)..] : before).TrimStart('\n');
                content = content[(content.LastIndexOf("</think>", StringComparison.Ordinal) + "</think>".Length)..].TrimStart('\n');
            }
            string body = i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0)
                ? "<think>\n" + reasoning.Trim('\n') + "\n</think>\n\n" + content.TrimStart('\n')
                : content;
            result.Add(new ChatSegment("<|im_start|>assistant\n", false));
            result.Add(new ChatSegment(body + "<|im_end|>", true));
            result.Add(new ChatSegment("\n", false));
        }
        if (addGenerationPrompt) result.Add(new ChatSegment("<|im_start|>assistant\n", false));
        return result;
    }
}
