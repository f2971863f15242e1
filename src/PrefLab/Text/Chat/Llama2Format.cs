using PrefLab.Runtime;

namespace PrefLab.Text.Chat;

/// <summary>
/// Llama 2 chat: each user turn "{bos}[INST] {content.strip()} [/INST]" (a leading system message goes into the
/// first user turn as "&lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n"), each assistant turn
/// " {content.strip()} {eos}". Roles must alternate user/assistant; the template has no generation prompt (a
/// conversation ending in a user turn already ends with "[/INST]"). Mask: " {content} {eos}".
/// </summary>
public sealed class Llama2Format : ChatFormat
{
    public override string Name => "llama2";
    public override string Description => "<s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{user} [/INST] {assistant} </s> (Llama 2 chat)";

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        CheckRoles(messages);
        var result = new List<ChatSegment>();
        string? system = null;
        int first = 0;
        if (messages.Count > 0 && messages[0].Role == ChatMessage.System)
        {
            system = messages[0].Content;
            first = 1;
        }
        for (int i = first; i < messages.Count; i++)
        {
            int index = i - first;
            var m = messages[i];
            if ((m.Role == ChatMessage.User) != (index % 2 == 0))
                throw new UserError($"message {i}: Conversation roles must alternate user/assistant/user/assistant/... (the llama2 chat format)");
            string content = index == 0 && system is not null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.Content : m.Content;
            if (m.Role == ChatMessage.User)
                result.Add(new ChatSegment(Require(bos, "bos_token", Name) + "[INST] " + JinjaText.Strip(content) + " [/INST]", false));
            else if (m.Role == ChatMessage.Assistant)
                result.Add(new ChatSegment(" " + JinjaText.Strip(content) + " " + Require(eos, "eos_token", Name), true));
        }
        return result;
    }
}
