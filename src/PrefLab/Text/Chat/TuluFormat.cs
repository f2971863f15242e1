namespace PrefLab.Text.Chat;

/// <summary>
/// The Tulu 2 format (allenai/tulu-2-*, the paper's, and the Preference World's): each message is
/// "&lt;|role|&gt;\n" + content + "\n", an assistant's content followed by eos_token before that newline; the
/// generation prompt is "&lt;|assistant|&gt;\n". (The newlines come from the template's own line breaks, which
/// transformers' Jinja settings trim after block tags but keep after expressions.) Mask: content + EOS.
/// </summary>
public sealed class TuluFormat : ChatFormat
{
    public override string Name => "tulu";
    public override string Description => "<|user|>\\n{content}\\n<|assistant|>\\n{content}{eos}\\n (Tulu 2, the paper's)";

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        CheckRoles(messages);
        var result = new List<ChatSegment>();
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            result.Add(new ChatSegment($"<|{m.Role}|>\n", false));
            if (m.Role == ChatMessage.Assistant)
                result.Add(new ChatSegment(m.Content + Require(eos, "eos_token", Name), true));
            else
                result.Add(new ChatSegment(m.Content, false));
            result.Add(new ChatSegment("\n", false));
            if (i == messages.Count - 1 && addGenerationPrompt) result.Add(new ChatSegment("<|assistant|>\n", false));
        }
        return result;
    }
}
