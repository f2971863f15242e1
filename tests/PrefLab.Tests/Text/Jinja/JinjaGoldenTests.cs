using System.Text.Json.Nodes;
using PrefLab.Tests.Text;
using PrefLab.Text.Jinja;
using Xunit;

namespace PrefLab.Tests.Text.Jinja;

/// <summary>Real chat templates (tests/fixtures/chat-templates) rendered by PrefLab's interpreter, byte for byte
/// against @huggingface/jinja's renders of the same contexts (goldens.json, written by make_goldens.mjs).</summary>
public class JinjaGoldenTests
{
    public static string Root => Path.Combine(Path.GetDirectoryName(TokenizerFixtures.Root)!, "chat-templates");

    static JsonArray Goldens() => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "goldens.json")))!.AsArray();

    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var name in Goldens().Select(g => g!["template"]!.GetValue<string>()).Distinct()) data.Add(name);
        return data;
    }

    [Fact]
    public void At_least_ten_real_templates_are_covered() => Assert.True(Templates().Count >= 10);

    [Theory]
    [MemberData(nameof(Templates))]
    public void Renders_equal_huggingface_jinja(string name)
    {
        string file = Path.Combine(Root, name + ".jinja");
        var template = JinjaTemplate.Parse(File.ReadAllText(file), file);
        var failures = new List<string>();
        int count = 0;
        foreach (var golden in Goldens().Where(g => g!["template"]!.GetValue<string>() == name).Select(g => g!.AsObject()))
        {
            count++;
            var context = (Dictionary<string, object?>)JsonValues.FromJson(golden["context"])!;
            string label = $"{name} / {golden["conversation"]} / add_generation_prompt={context["add_generation_prompt"]}";
            if (golden["error"] is { } error)
            {
                var ex = Assert.Throws<JinjaError>(() => template.Render(context));
                if (!ex.Message.Contains(error.GetValue<string>(), StringComparison.Ordinal) || !ex.Message.StartsWith(file + ":", StringComparison.Ordinal))
                    failures.Add($"{label}: error {ex.Message}\n  expected to contain {error}");
                continue;
            }
            string expected = golden["output"]!.GetValue<string>();
            try
            {
                string actual = template.Render(context);
                if (actual != expected)
                    failures.Add($"{label}\n  expected {JsonValue.Create(expected).ToJsonString()}\n  actual   {JsonValue.Create(actual).ToJsonString()}");
            }
            catch (JinjaError ex)
            {
                failures.Add($"{label}: {ex.Message}");
            }
        }
        Assert.True(count >= 14, $"{name}: only {count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
