using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;
using PrefLab.Text.Jinja;
using Xunit;

namespace PrefLab.Tests.Text;

public class ChatFormatTests
{
    static readonly ChatMessage[] Pair = [new("user", "Hi"), new("assistant", "Hello")];

    static TokenizerConfig WithTemplate(string template) => new() { ChatTemplate = template, BosToken = "<s>", EosToken = "</s>" };

    [Fact]
    public void The_worlds_tulu_template_is_recognised_and_rendered_with_its_newlines()
    {
        var world = TokenizerFixtures.Load("world");
        var format = ChatFormats.Detect(world.Config, "WORLD/tokenizer");
        Assert.Same(ChatFormats.Tulu, format);
        Assert.Equal("<|system|>\nbe brief\n<|user|>\nHi\n<|assistant|>\nHello</s>\n<|assistant|>\n",
            format.RenderText([new("system", "be brief"), .. Pair], addGenerationPrompt: true, "<s>", "</s>"));
    }

    [Theory]
    [InlineData("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}", "chatml")]
    [InlineData("{{ bos_token }}<|start_header_id|>{% if add_generation_prompt %}{% endif %}", "llama3")]
    [InlineData("[INST] <<SYS>>", "llama2")]
    [InlineData("<|im_start|> <think>", "qwen3")]
    public void Templates_are_recognised_by_their_markers(string template, string expected)
    {
        Assert.Equal(expected, ChatFormats.Recognise(template).Format!.Name);
        Assert.Same(ChatFormats.ByName(expected), ChatFormats.All.Single(f => f.Name == expected));
    }

    [Theory]
    [InlineData("{% for m in messages %}{{ m.content }}{% endfor %}")]
    [InlineData("{% for message in messages %}{{ '<|user|>' + message['content'] + eos_token }}{{ '<|assistant|>' + eos_token }}{% endfor %}")]
    [InlineData("{{ '<|start_header_id|>Cutting Knowledge Date' }}")]
    [InlineData("{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}")]
    public void Unrecognised_templates_are_rendered_by_the_jinja_interpreter(string template)
    {
        Assert.IsType<JinjaChatFormat>(ChatFormats.Detect(WithTemplate(template), "/models/m"));
        var e = Assert.Throws<UserError>(() => ChatFormats.Detect(new TokenizerConfig(), "m"));
        Assert.Contains("has no chat_template", e.Message);
        foreach (var f in ChatFormats.All) Assert.Contains(f.Name, e.Message);
    }

    [Fact]
    public void A_template_the_interpreter_cannot_parse_is_an_error_naming_the_file_line_and_column()
    {
        var e = Assert.Throws<JinjaError>(() => ChatFormats.Detect(WithTemplate("hello\n  {% raw %}x{% endraw %}"), "/models/m"));
        Assert.StartsWith(Path.Combine("/models/m", "tokenizer_config.json") + " chat_template:2:6:", e.Message);
        Assert.Contains("raw", e.Message);
    }

    [Fact]
    public void Unknown_format_names_and_roles_are_user_errors()
    {
        var e = Assert.Throws<UserError>(() => ChatFormats.ByName("vicuna"));
        Assert.Contains("--chat-format", e.Message);
        Assert.Contains("tulu", e.Message);
        Assert.Equal("llama3", ChatFormats.ByName("LLAMA3").Name);
        Assert.Contains("role 'tool'", Assert.Throws<UserError>(() =>
            ChatFormats.ChatMl.RenderText([new("tool", "x")], false, null, null)).Message);
        Assert.Contains("alternate", Assert.Throws<UserError>(() =>
            ChatFormats.Llama2.RenderText([new("user", "a"), new("user", "b")], false, "<s>", "</s>")).Message);
    }

    [Fact]
    public void Bos_appears_exactly_once_whether_the_template_or_the_tokenizer_writes_it()
    {
        // Tulu on a Llama-style tokenizer: the template writes no BOS, the tokenizer adds one
        var tulu = TokenizerFixtures.Load("chat-tulu");
        var rendered = ChatFormats.Tulu.Render(tulu, Pair);
        Assert.Equal(1, rendered.Ids.Count(id => id == tulu.BosId));
        Assert.Equal(tulu.BosId, rendered.Ids[0]);
        Assert.DoesNotContain(tulu.BosId!.Value, ChatFormats.Tulu.Render(tulu, Pair, addSpecialTokens: false).Ids);
        // Llama 2 and Llama 3 templates write BOS themselves; the tokenizers would add one too
        foreach (var (folder, format) in new[] { ("chat-llama2", ChatFormats.Llama2), ("llama3-style", ChatFormats.Llama3) })
        {
            var t = TokenizerFixtures.Load(folder);
            Assert.Contains(t.BosId!.Value, t.SpecialPrefixIds);
            var ids = format.Render(t, Pair).Ids;
            Assert.Equal(t.BosId, ids[0]);
            Assert.NotEqual(t.BosId, ids[1]);
            Assert.Equal(1, ids.Count(id => id == t.BosId));
        }
    }

    [Fact]
    public void Assistant_mask_covers_content_and_end_of_turn_only()
    {
        var world = TokenizerFixtures.Load("world");
        var rendered = ChatFormats.Tulu.Render(world, [new("user", "what is 2 + 2 ?"), new("assistant", "4"), new("user", "and the sky ?"), new("assistant", "blue .")]);
        var masked = rendered.Ids.Where((_, i) => rendered.AssistantMask[i]).Select(id => world.IdToToken(id));
        Assert.Equal(["4", "</s>", "blue", ".", "</s>"], masked);
        Assert.Equal(rendered.Ids.Length, rendered.AssistantMask.Length);
        var final = rendered.Ids.Where((_, i) => rendered.FinalTurnMask()[i]).Select(id => world.IdToToken(id));
        Assert.Equal(["blue", ".", "</s>"], final);
        Assert.DoesNotContain(true, ChatFormats.Tulu.Render(world, [new("user", "hello")], addGenerationPrompt: true).AssistantMask);
    }

    [Fact]
    public void Qwen2_style_default_system_prompt_is_detected_and_written()
    {
        const string template = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
            "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}";
        var format = Assert.IsType<ChatMlFormat>(ChatFormats.Recognise(template).Format);
        Assert.Equal("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", format.DefaultSystemPrompt);
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            format.RenderText([new("user", "Hi")], true, null, null));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n", format.RenderText([new("system", "S")], false, null, null));
    }

    [Fact]
    public void The_first_llama3_instruct_template_always_writes_the_generation_prompt()
    {
        var lenient = (Llama3Format)ChatFormats.Recognise(
            "{% for message in messages %}<|start_header_id|>{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}").Format!;
        Assert.True(lenient.AlwaysAddsGenerationPrompt);
        Assert.EndsWith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", lenient.RenderText(Pair, false, "<s>", "</s>"));
        Assert.EndsWith("Hello<|eot_id|>", ChatFormats.Llama3.RenderText(Pair, false, "<s>", "</s>"));
    }
}
