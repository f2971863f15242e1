using PrefLab.Runtime;
using PrefLab.Text.Jinja;

namespace PrefLab.Text.Chat;

/// <summary>
/// A chat format that renders the model's own Jinja chat_template (PrefLab's interpreter, as transformers'
/// apply_chat_template renders it: messages, add_generation_prompt, the special tokens, tools and documents
/// none, strftime_now). The assistant mask comes from renders of growing prefixes: assistant message i spans
/// from the end of render(messages[..i], add_generation_prompt: true) to where render(messages[..i+1]) and the
/// whole render part (the end-of-turn/EOS the template writes after the content included), less whitespace the
/// turn ends with (the line break between turns, as the built-in formats leave it out).
/// </summary>
public sealed class JinjaChatFormat(JinjaTemplate template, TokenizerConfig config, Func<DateTime>? now = null) : ChatFormat
{
    public override string Name => "jinja";
    public override string Description => "the model's own chat_template, rendered by PrefLab's Jinja interpreter";

    public JinjaTemplate Template => template;

    /// <summary>The template of a tokenizer_config.json, parsed (a parse error names <paramref name="where"/>, line
    /// and column).</summary>
    public static JinjaChatFormat FromConfig(TokenizerConfig config, string where, bool tools = false) =>
        new(JinjaTemplate.Parse(config.SelectChatTemplate(tools) ?? throw new UserError($"{where}: has no chat_template"),
            $"{where} chat_template"), config);

    /// <summary>The text of <paramref name="messages"/> (JSON-like values: role, content and any other fields a
    /// template reads, e.g. tool_calls) with extra variables such as tools.</summary>
    public string RenderValues(IReadOnlyList<object?> messages, bool addGenerationPrompt, string? bos, string? eos,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = messages.ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        void Token(string key, string? value)
        {
            if (value is not null) vars[key] = value;
        }
        Token("bos_token", bos ?? config.BosToken);
        Token("eos_token", eos ?? config.EosToken);
        Token("pad_token", config.PadToken);
        Token("unk_token", config.UnkToken);
        if (config.AdditionalSpecialTokens.Count > 0)
            vars["additional_special_tokens"] = config.AdditionalSpecialTokens.Cast<object?>().ToList();
        if (extra is not null)
            foreach (var kv in extra) vars[kv.Key] = kv.Value;
        return template.Render(vars, now);
    }

    /// <summary>Where the two renders part inside a tag ("&lt;|end|&gt;\n&lt;|" against "&lt;|user|&gt;"): back to
    /// the tag's start, so a token the template writes only after the last message stays out of the mask.</summary>
    static int BeforeOpenTag(string text, int start, int end)
    {
        for (int i = end - 1; i >= start; i--)
        {
            if (text[i] is '>' or ']') return end;
            if (text[i] is '<' or '[') return i;
        }
        return end;
    }

    /// <summary>The template's text alone (no mask), as apply_chat_template(tokenize=False) renders it.</summary>
    public string RenderPlain(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos) =>
        Text(messages, messages.Count, addGenerationPrompt, bos, eos);

    static object? AsValue(ChatMessage m) => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content };

    string Text(IReadOnlyList<ChatMessage> messages, int count, bool addGenerationPrompt, string? bos, string? eos) =>
        RenderValues(messages.Take(count).Select(AsValue).ToList(), addGenerationPrompt, bos, eos);

    public override IReadOnlyList<ChatSegment> RenderSegments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        for (int i = 0; i < messages.Count; i++)
            if (messages[i]?.Content is null) throw new UserError($"message {i}: content is missing");
        string full = Text(messages, messages.Count, addGenerationPrompt, bos, eos);
        var spans = new List<(int Start, int End)>();
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != ChatMessage.Assistant) continue;
            string before = Text(messages, i, addGenerationPrompt: true, bos, eos);
            string with = Text(messages, i + 1, addGenerationPrompt: false, bos, eos);
            if (!with.StartsWith(before, StringComparison.Ordinal) || !full.StartsWith(before, StringComparison.Ordinal))
                throw new UserError($"{template.Name}: cannot find assistant message {i} in the rendered text: the text before it " +
                    "(rendered with add_generation_prompt) is not where the conversation continues; name a built-in format with --chat-format");
            int end = before.Length;
            while (end < with.Length && end < full.Length && with[end] == full[end]) end++;
            if (end < with.Length) end = BeforeOpenTag(full, before.Length, end);
            while (end > before.Length && PythonText.IsSpace(full[end - 1])) end--;
            if (end > before.Length) spans.Add((before.Length, end));
        }
        var segments = new List<ChatSegment>();
        int at = 0;
        foreach (var (start, end) in spans)
        {
            if (start < at) continue;
            if (start > at) segments.Add(new ChatSegment(full[at..start], false));
            segments.Add(new ChatSegment(full[start..end], true));
            at = end;
        }
        if (at < full.Length) segments.Add(new ChatSegment(full[at..], false));
        return segments;
    }
}
