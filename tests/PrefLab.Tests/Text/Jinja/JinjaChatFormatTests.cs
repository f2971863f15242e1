using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Tests.Text;
using PrefLab.Text;
using PrefLab.Text.Chat;
using PrefLab.Text.Jinja;
using Xunit;

namespace PrefLab.Tests.Text.Jinja;

/// <summary>Chat templates through the interpreter as a chat format: detection, loss masks from prefix renders,
/// and equality with the built-in fast paths.</summary>
public class JinjaChatFormatTests
{
    static string Template(string name) => File.ReadAllText(Path.Combine(JinjaGoldenTests.Root, name + ".jinja"));

    static readonly ChatMessage[] Conversation =
    [
        new("system", "Be brief."),
        new("user", "What is the capital of France?"),
        new("assistant", "Paris."),
        new("user", "And of Italy?"),
        new("assistant", "Rome, of course."),
    ];

    static TokenizerConfig Config(string template, string bos = "<s>", string eos = "</s>") =>
        new() { ChatTemplate = template, BosToken = bos, EosToken = eos };

    static HfTokenizer Mistral(TokenizerConfig config) => TokenizerFixtures.Load("chat-tulu").WithConfig(config, "/models/m");

    static string[] AssistantTexts(ChatFormat format, IReadOnlyList<ChatMessage> messages, TokenizerConfig config) =>
        format.RenderSegments(messages, false, config.BosToken, config.EosToken).Where(s => s.Assistant).Select(s => s.Text).ToArray();

    [Theory]
    [InlineData("tulu", "tulu")]
    [InlineData("chatml", "chatml")]
    [InlineData("llama3", "llama3")]
    [InlineData("llama2", "llama2")]
    [InlineData("zephyr", "jinja")]
    [InlineData("phi3.5", "jinja")]
    [InlineData("mistral-v0.3", "jinja")]
    [InlineData("gemma3", "jinja")]
    [InlineData("llama3.2", "jinja")]
    [InlineData("deepseek-v3", "jinja")]
    public void Built_in_formats_are_the_fast_path_only_when_they_render_the_template_exactly(string template, string expected) =>
        Assert.Equal(expected, ChatFormats.Detect(Config(Template(template)), "/models/m").Name);

    [Fact]
    public void Zephyr_masks_cover_each_assistant_reply_and_its_eos_on_a_multi_turn_conversation()
    {
        var config = Config(Template("zephyr"));
        var format = ChatFormats.Detect(config, "/models/m");
        Assert.IsType<JinjaChatFormat>(format);
        // The generation prompt is "<|assistant|>\n" (the line break after its expression is kept).
        Assert.Equal(["Paris.</s>", "Rome, of course.</s>"], AssistantTexts(format, Conversation, config));

        var tokenizer = Mistral(config);
        var rendered = format.Render(tokenizer, Conversation);
        Assert.Equal("<|system|>\nBe brief.</s>\n<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\nParis.</s>\n" +
            "<|user|>\nAnd of Italy?</s>\n<|assistant|>\nRome, of course.</s>\n", rendered.Text);
        string masked = tokenizer.Decode(rendered.Ids.Where((_, i) => rendered.AssistantMask[i]).ToArray(), skipSpecialTokens: false);
        Assert.Contains("Paris.</s>", masked);
        Assert.EndsWith("Rome, of course.</s>", masked);
        Assert.DoesNotContain("capital", masked);
        Assert.DoesNotContain("Italy", masked);
        var final = tokenizer.Decode(rendered.Ids.Where((_, i) => rendered.FinalTurnMask()[i]).ToArray(), skipSpecialTokens: false);
        Assert.DoesNotContain("Paris", final);
        Assert.Equal(2, rendered.Ids.Count(id => id == tokenizer.EosId) - 3);
    }

    [Fact]
    public void Gemma_masks_cover_the_model_turns_through_end_of_turn()
    {
        var config = Config(Template("gemma3"), "<bos>", "<eos>");
        var format = ChatFormats.Detect(config, "/models/m");
        Assert.Equal(["Paris.<end_of_turn>", "Rome, of course.<end_of_turn>"], AssistantTexts(format, Conversation, config));
        Assert.Equal("<bos><start_of_turn>user\nBe brief.\n\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n",
            format.RenderText(Conversation[..2], true, "<bos>", "<eos>"));
    }

    [Fact]
    public void Phi3_masks_stop_at_end_of_turn_between_turns_and_keep_the_final_eos()
    {
        var config = Config(Template("phi3.5"), "<s>", "<|endoftext|>");
        var format = ChatFormats.Detect(config, "/models/m");
        Assert.Equal(["Paris.<|end|>", "Rome, of course.<|end|>\n<|endoftext|>"], AssistantTexts(format, Conversation, config));
    }

    public static TheoryData<string> BuiltInGoldens => new() { "tulu-world", "tulu-llama", "chatml", "llama3", "llama2" };

    [Theory]
    [MemberData(nameof(BuiltInGoldens))]
    public void Built_in_templates_through_the_interpreter_give_the_fast_path_s_ids_and_masks(string key)
    {
        int count = 0;
        foreach (var golden in TokenizerFixtures.Goldens("chat.json")[key]!.AsArray().Select(x => x!.AsObject()))
        {
            var tokenizer = TokenizerFixtures.Load(golden["folder"]!.GetValue<string>());
            var fast = ChatFormats.Resolve(tokenizer, null);
            var jinja = ChatFormats.Resolve(tokenizer, "jinja");
            Assert.IsType<JinjaChatFormat>(jinja);
            Assert.IsNotType<JinjaChatFormat>(fast);
            var messages = golden["messages"]!.AsArray()
                .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            bool prompt = golden["add_generation_prompt"]!.GetValue<bool>();
            var a = fast.Render(tokenizer, messages, prompt);
            var b = jinja.Render(tokenizer, messages, prompt);
            Assert.Equal(a.Text, b.Text);
            Assert.Equal(a.Ids, b.Ids);
            Assert.Equal(a.AssistantMask, b.AssistantMask);
            count++;
        }
        Assert.True(count >= 4);
    }

    [Fact]
    public void Named_template_lists_use_default_or_tool_use_with_tools_as_transformers_does()
    {
        const string text = """{"chat_template": [{"name": "default", "template": "D{{ messages|length }}"}, {"name": "tool_use", "template": "T{{ tools|length }}"}]}""";
        var config = TokenizerConfig.Parse("m/tokenizer_config.json", text, null, null);
        Assert.Equal("D{{ messages|length }}", config.ChatTemplate);
        Assert.Equal("T{{ tools|length }}", config.SelectChatTemplate(tools: true));
        Assert.Equal("D{{ messages|length }}", config.SelectChatTemplate(tools: false));
        var format = JinjaChatFormat.FromConfig(config, "m/tokenizer_config.json", tools: true);
        Assert.Equal("T1", format.RenderValues([], false, null, null, new Dictionary<string, object?> { ["tools"] = new List<object?> { "x" } }));
        Assert.Equal("D1", ChatFormats.Detect(config, "m").RenderText([new("user", "x")], false, null, null));
    }

    [Fact]
    public void Errors_name_the_template_position_and_what_is_unsupported_or_raised()
    {
        JinjaError Fails(string source, Dictionary<string, object?>? vars = null) =>
            Assert.Throws<JinjaError>(() => JinjaTemplate.Parse(source, "t.jinja").Render(vars ?? []));
        Assert.Equal("t.jinja:1:4: unsupported statement '{% include %}' (supported: if, for, set, macro, break, continue, generation)",
            Assert.Throws<JinjaError>(() => JinjaTemplate.Parse("{% include 'x' %}", "t.jinja")).Message);
        Assert.StartsWith("t.jinja:2:8: unsupported filter 'wrap'", Fails("x\n{{ 1 | wrap }}").Message);
        Assert.StartsWith("t.jinja:1:14: unsupported test 'weird'", Fails("{{ 1 if 1 is weird }}").Message);
        Assert.Equal("t.jinja:1:4: raise_exception: no system role", Fails("{{ raise_exception('no system role') }}").Message);
        Assert.Contains("t.jinja:1:4: '{% if %}' is not closed", Assert.Throws<JinjaError>(() => JinjaTemplate.Parse("{% if x %}", "t.jinja")).Message);
        Assert.IsAssignableFrom<UserError>(Fails("{{ x.y }}"));
    }

    [Fact]
    public void Interpreter_covers_the_python_and_jinja_features_templates_use()
    {
        string R(string source, Dictionary<string, object?>? vars = null) =>
            JinjaTemplate.Parse(source, "t").Render(vars ?? [], () => new DateTime(2026, 12, 7, 1, 2, 3));
        Assert.Equal("07 Dec 2026", R("{{ strftime_now('%d %b %Y') }}"));
        Assert.Equal("cba|bc|c", R("{{ 'abc'[::-1] }}|{{ 'abc'[1:] }}|{{ 'abc'[-1] }}"));
        Assert.Equal("3", R("{% set ns = namespace(n=0) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
        Assert.Equal("1/3 a first;2/3 b;3/3 c last;", R("{% for x in ['a','b','c'] %}{{ loop.index }}/{{ loop.length }} {{ x }}{{ ' first' if loop.first }}{{ ' last' if loop.last }};{% endfor %}"));
        Assert.Equal("a=1,b=2,", R("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", new() { ["d"] = new Dictionary<string, object?> { ["a"] = 1L, ["b"] = 2L } }));
        Assert.Equal("<b>x</b>", R("{% macro bold(t, tag='b') %}<{{ tag }}>{{ t }}</{{ tag }}>{% endmacro %}{{ bold('x') }}"));
        Assert.Equal("x, y", R("{{ [{'n': 'x', 't': 1}, {'n': 'y', 't': 1}, {'n': 'z'}] | selectattr('t', 'defined') | map(attribute='n') | join(', ') }}"));
        Assert.Equal("{\"a\": [1, 2], \"b\": null}", R("{{ {'a': [1, 2], 'b': none} | tojson }}"));
        Assert.Equal("True False", R("{{ 'ab'.startswith('a') }} {{ 'x' in ['y'] }}"));
        Assert.Equal("A-b-c", R("{{ 'a b c'.split() | join('-') | capitalize }}"));
        Assert.Equal("yes", R("{% if x is not defined and y is none and 'b' not in 'ac' %}yes{% endif %}", new() { ["y"] = null }));
        Assert.Equal("  a\n  b", R("{{ 'a\\nb' | indent(2, true) }}"));
        Assert.Equal("7|2|1|8", R("{{ 1 + 2 * 3 }}|{{ 7 // 3 }}|{{ 7 % 3 }}|{{ 2 ** 3 }}"));
        Assert.Equal("x\ny", R("{% if true %}\n  x\n{% endif %}\n{%- if true %}\ny{% endif %}\n").Replace("  ", ""));
    }
}
