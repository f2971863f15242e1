namespace PrefLab.Text.Chat;

/// <summary>
/// Llama 3 Instruct: bos_token once, then "&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n" +
/// content.strip() + "&lt;|eot_id|&gt;" per message; generation prompt
/// "&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n". The first Meta-Llama-3 Instruct template lacked the
/// add_generation_prompt test and always wrote the prompt; <see cref="AlwaysAddsGenerationPrompt"/> mirrors that
/// when detected. Mask: stripped content + &lt;|eot_id|&gt;.
/// </summary>
public sealed class Llama3Format(bool alwaysAddsGenerationPrompt = false) : ChatFormat
{
    public override string Name => "llama3";
    public override string Description => "<|start_header_id|>{role}<|end_header_id|>\\n\\n{content}<|eot_id|> (Llama 3 Instruct)";

    public bool AlwaysAddsGenerationPrompt => alwaysAddsGenerationPrompt;

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        CheckRoles(messages);
        var result = new List<ChatSegment>();
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            string header = (i == 0 ? Require(bos, "bos_token", Name) : "") + $"<|start_header_id|>{m.Role}<|end_header_id|>\n\n";
            result.Add(new ChatSegment(header, false));
            result.Add(new ChatSegment(JinjaText.Strip(m.Content) + "<|eot_id|>", m.Role == ChatMessage.Assistant));
        }
        if (addGenerationPrompt || alwaysAddsGenerationPrompt)
            result.Add(new ChatSegment("<|start_header_id|>assistant<|end_header_id|>\n\n", false));
        return result;
    }
}
