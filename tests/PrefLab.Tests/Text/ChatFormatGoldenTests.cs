using System.Text.Json.Nodes;
using PrefLab.Text;
using PrefLab.Text.Chat;
using Xunit;

namespace PrefLab.Tests.Text;

/// <summary>Chat rendering against transformers.js' apply_chat_template on the real templates (goldens/chat.json;
/// the same texts were checked against Python's Jinja2, the engine transformers uses).</summary>
public class ChatFormatGoldenTests
{
    public static TheoryData<string> Cases => new() { "tulu-world", "tulu-llama", "chatml", "llama3", "llama2", "qwen3" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detected_format_renders_text_ids_and_assistant_mask_as_the_goldens(string key)
    {
        var failures = new List<string>();
        int count = 0;
        foreach (var golden in TokenizerFixtures.Goldens("chat.json")[key]!.AsArray().Select(x => x!.AsObject()))
        {
            count++;
            var tokenizer = TokenizerFixtures.Load(golden["folder"]!.GetValue<string>());
            var format = ChatFormats.Resolve(tokenizer, name: null);
            Assert.Equal(golden["format"]!.GetValue<string>(), format.Name);
            var messages = golden["messages"]!.AsArray()
                .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            bool addGenerationPrompt = golden["add_generation_prompt"]!.GetValue<bool>();
            var rendered = format.Render(tokenizer, messages, addGenerationPrompt);

            string label = $"{key} ({messages.Count} messages, generation prompt {addGenerationPrompt})";
            if (rendered.Text != golden["text"]!.GetValue<string>())
                failures.Add($"{label} text\n  expected {Show(golden["text"]!.GetValue<string>())}\n  actual   {Show(rendered.Text)}");
            var ids = TokenizerFixtures.Ints(golden["ids"]);
            if (!ids.SequenceEqual(rendered.Ids))
                failures.Add($"{label} ids\n  expected {string.Join(",", ids)}\n  actual   {string.Join(",", rendered.Ids)}");
            var mask = TokenizerFixtures.Ints(golden["mask"]).Select(x => x == 1).ToArray();
            if (!mask.SequenceEqual(rendered.AssistantMask))
                failures.Add($"{label} mask\n  expected {string.Concat(mask.Select(b => b ? '1' : '0'))}\n  actual   {string.Concat(rendered.AssistantMask.Select(b => b ? '1' : '0'))}");
        }
        Assert.True(count >= 6, $"{key}: only {count} golden cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static string Show(string s) => JsonValue.Create(s).ToJsonString();
}
