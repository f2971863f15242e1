using System.Text.RegularExpressions;
using PrefLab.Runtime;
using PrefLab.Text.Jinja;

namespace PrefLab.Text.Chat;

/// <summary>The built-in chat formats, by name or recognised from a tokenizer_config.json chat_template.</summary>
public static class ChatFormats
{
    public static readonly ChatFormat Tulu = new TuluFormat();
    public static readonly ChatFormat ChatMl = new ChatMlFormat();
    public static readonly ChatFormat Llama3 = new Llama3Format();
    public static readonly ChatFormat Llama2 = new Llama2Format();
    public static readonly ChatFormat Qwen3 = new Qwen3Format();

    public static IReadOnlyList<ChatFormat> All { get; } = [Tulu, ChatMl, Llama3, Llama2, Qwen3];

    public static string KnownNames => string.Join(", ", All.Select(f => f.Name));

    /// <summary>Help text of a <c>--chat-format</c> option: the known names (from <see cref="All"/>) and the default.</summary>
    /// <param name="whose">Whose format, e.g. "The policy's" or "The reward model's".</param>
    public static string OptionHelp(string whose = "The model's") =>
        $"{whose} chat format: {KnownNames}, or jinja (its own chat_template, rendered by PrefLab's Jinja interpreter) " +
        "(default: a built-in one when its tokenizer_config.json chat_template is one of them, else jinja).";

    public static ChatFormat ByName(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw UserError.InOption("--chat-format", $"unknown chat format '{name}' (known: {KnownNames})");

    /// <summary>The name that selects the model's own template through the Jinja interpreter.</summary>
    public const string JinjaName = "jinja";

    /// <summary>The format named by <paramref name="name"/> ("jinja": the tokenizer's own template through the
    /// interpreter), else the one the tokenizer's chat template is.</summary>
    public static ChatFormat Resolve(HfTokenizer tokenizer, string? name)
    {
        if (name is not null && string.Equals(name, JinjaName, StringComparison.OrdinalIgnoreCase))
        {
            string where = Path.Combine(tokenizer.Source, TokenizerLoader.ConfigFile);
            if (string.IsNullOrWhiteSpace(tokenizer.Config.ChatTemplate))
                throw UserError.InOption("--chat-format", $"jinja needs a chat_template, and {where} has none");
            return JinjaChatFormat.FromConfig(tokenizer.Config, where);
        }
        return name is not null ? ByName(name) : Detect(tokenizer.Config, tokenizer.Source);
    }

    /// <summary>The format of a folder's tokenizer_config.json chat_template: a built-in one when recognised (the
    /// fast path), else the template itself through the Jinja interpreter (a template it cannot parse is an error
    /// naming the file, line and column). No template is a user error naming the folder and the known formats.</summary>
    public static ChatFormat Detect(TokenizerConfig config, string folder)
    {
        string where = Path.Combine(folder, TokenizerLoader.ConfigFile);
        if (string.IsNullOrWhiteSpace(config.ChatTemplate))
            throw new UserError($"{where}: has no chat_template; name a chat format with --chat-format ({KnownNames})");
        var (format, _) = Recognise(config.ChatTemplate);
        JinjaChatFormat jinja;
        try
        {
            jinja = JinjaChatFormat.FromConfig(config, where);
        }
        catch (JinjaError) when (format is not null)
        {
            return format;
        }
        return format is not null && RendersAlike(format, jinja, config) ? format : jinja;
    }

    /// <summary>Whether a recognised built-in format renders probe conversations exactly as the template itself
    /// does (probes the template rejects with raise_exception are skipped; when it rejects all of them, or the
    /// interpreter cannot parse it, the recognised format is kept), so the fast path never changes text.</summary>
    static bool RendersAlike(ChatFormat builtIn, JinjaChatFormat jinja, TokenizerConfig config)
    {
        ChatMessage S(string t) => new(ChatMessage.System, t);
        ChatMessage U(string t) => new(ChatMessage.User, t);
        ChatMessage A(string t) => new(ChatMessage.Assistant, t);
        IReadOnlyList<ChatMessage>[] probes =
        [
            [U("Hi"), A("Hello!"), U("How are you?"), A("Fine.")],
            [S("Be brief."), U(" What is 2+2?\n"), A(" 4 \n")],
            [U("Hi")],
        ];
        foreach (var probe in probes)
            foreach (bool prompt in new[] { false, true })
            {
                string expected;
                try
                {
                    expected = jinja.RenderPlain(probe, prompt, config.BosToken, config.EosToken);
                }
                catch (JinjaError)
                {
                    continue;
                }
                try
                {
                    if (builtIn.RenderText(probe, prompt, config.BosToken, config.EosToken) != expected) return false;
                }
                catch (UserError)
                {
                    return false;
                }
            }
        return true;
    }

    /// <summary>The format a Jinja chat template renders, by its characteristic markers, or null with the
    /// reason when the template is a variant PrefLab would not reproduce exactly.</summary>
    public static (ChatFormat? Format, string? Why) Recognise(string template)
    {
        if (template.Contains("<|im_start|>"))
        {
            if (template.Contains("<think>")) return (Qwen3, null);
            var system = DefaultSystem.Match(template);
            return system.Success ? (new ChatMlFormat(Unescape(system.Groups[1].Value)), null) : (ChatMl, null);
        }
        if (template.Contains("<|start_header_id|>"))
        {
            if (template.Contains("Cutting Knowledge Date") || template.Contains("tools"))
                return (null, "it looks like a Llama 3.1+ template with tools and dated system messages; the llama3 format is the Llama 3 one");
            return (template.Contains("add_generation_prompt") ? Llama3 : new Llama3Format(alwaysAddsGenerationPrompt: true), null);
        }
        if (template.Contains("[INST]"))
            return template.Contains("<<SYS>>") ? (Llama2, null)
                : (null, "an [INST] template without <<SYS>> (Mistral style) differs from the llama2 format in its spaces");
        if (template.Contains("<|user|>") && template.Contains("<|assistant|>"))
            return Regex.Matches(template, "eos_token").Count == 1 ? (Tulu, null)
                : (null, "a <|user|>/<|assistant|> template that writes eos_token after more than assistant turns (Zephyr or Tulu 3 style) differs from the tulu format");
        return (null, null);
    }

    // Qwen2/2.5: {{- '<|im_start|>system\nYou are Qwen, ...<|im_end|>\n' }} when the first message is not a system one.
    static readonly Regex DefaultSystem = new(@"'<\|im_start\|>system(?:\\n|\n)([^'{}]+?)<\|im_end\|>(?:\\n|\n)'", RegexOptions.CultureInvariant);

    static string Unescape(string jinjaLiteral) => jinjaLiteral.Replace("\\n", "\n").Replace("\\'", "'");
}
