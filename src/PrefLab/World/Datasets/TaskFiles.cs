using System.Text.Json;
using PrefLab.World.Responders;
using PrefLab.World.Tasks;

namespace PrefLab.World.Datasets;

/// <summary>The SFT demonstrations, the unlabeled prompt pools, and the held-out eval sets.</summary>
public static class TaskFiles
{
    /// <summary>sft.jsonl: one user turn and the demonstrator's answer (good but imperfect on purpose).</summary>
    public static EmittedFile Sft(EmitContext context)
    {
        const string name = DatasetCatalog.Sft;
        var tasks = context.Plan.Training[name];
        var rng = context.Stream(name + "/responses");
        var profile = ResponderProfile.Demonstrator;
        var report = new FileReport(name, "sft.jsonl", "sft") { Responders = [profile.Name] };
        var rows = new JsonlBuilder();
        double goldSum = 0;
        for (int i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var response = context.Respond(task, profile, rng);
            goldSum += response.Gold.Overall;
            context.Train(task.Prompt, response.Text);
            int index = i;
            rows.Add(w =>
            {
                w.WriteString("id", $"sft-{index + 1:D6}");
                w.WriteString("category", task.Category);
                w.WriteStartArray("messages");
                PairwiseDatasets.Message(w, "user", task.Prompt);
                PairwiseDatasets.Message(w, "assistant", response.Text);
                w.WriteEndArray();
            });
            report.Count(task.Category);
        }
        report.Rows = report.Prompts = report.Responses = rows.Rows;
        report.GoldMean = rows.Rows == 0 ? null : goldSum / rows.Rows;
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    /// <summary>prompts/NAME.jsonl: {"id", "category", "prompt"}.</summary>
    public static EmittedFile Prompts(EmitContext context, string file)
    {
        var tasks = context.Plan.Training[file];
        string shortName = file["prompts/".Length..];
        var report = new FileReport(file, file + ".jsonl", "prompts");
        var rows = new JsonlBuilder();
        for (int i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            context.Train(task.Prompt);
            int index = i;
            rows.Add(w =>
            {
                w.WriteString("id", $"prompt-{shortName}-{index + 1:D6}");
                w.WriteString("category", task.Category);
                w.WriteString("prompt", task.Prompt);
            });
            report.Count(task.Category);
        }
        report.Rows = report.Prompts = rows.Rows;
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    /// <summary>
    /// eval/CATEGORY.jsonl. Every row: "id", "category", "prompt", "family", "format" ("generate" or
    /// "multiple_choice"), "reference" (a fully right answer). Then per category: reasoning "answer" (the
    /// final number in World text) and "answer_value"; coding "answer" (the exact output); factuality and
    /// truthfulness "target" (the true value, or "unknown") and, for multiple choice, "choices" and "answer"
    /// (the right choice's index); instruction "constraints" (list of {type, value}); safety "should_refuse";
    /// helpfulness "entity" and "attributes".
    /// </summary>
    public static EmittedFile Eval(EmitContext context, string category)
    {
        var items = context.Plan.Eval[category];
        var report = new FileReport("eval/" + category, $"eval/{category}.jsonl", "eval");
        var rows = new JsonlBuilder();
        foreach (var item in items)
        {
            var task = item.Task;
            context.EvalTexts.Add(task.Prompt);
            context.EvalTexts.Add(task.Reference);
            if (item.Choices is not null) context.EvalTexts.AddRange(item.Choices);
            rows.Add(w => WriteEvalRow(w, item));
            report.Count(category);
        }
        report.Rows = report.Prompts = rows.Rows;
        report.Extra = new Dictionary<string, int>
        {
            ["multiple_choice"] = items.Count(i => i.IsMultipleChoice),
            ["generate"] = items.Count(i => !i.IsMultipleChoice),
        };
        return new EmittedFile(report.Path, rows.ToBytes(), report);
    }

    static void WriteEvalRow(Utf8JsonWriter w, EvalItem item)
    {
        var task = item.Task;
        w.WriteString("id", item.Id);
        w.WriteString("category", task.Category);
        w.WriteString("prompt", task.Prompt);
        w.WriteString("family", task.Family);
        w.WriteString("format", item.IsMultipleChoice ? "multiple_choice" : "generate");
        w.WriteString("reference", task.Reference);
        switch (task)
        {
            case ReasoningTask t:
                w.WriteString("answer", Language.WorldText.Number(t.Answer));
                w.WriteNumber("answer_value", t.Answer);
                w.WriteNumber("steps", t.Steps.Count);
                break;
            case CodingTask t:
                w.WriteString("answer", string.Join(' ', t.Output));
                w.WriteString("program", t.Program);
                break;
            case FactualTask t:
                w.WriteString("target", t.Fact.Value);
                w.WriteString("attribute", t.Fact.Attribute.Name);
                break;
            case TruthfulnessTask t:
                w.WriteString("target", t.Target);
                if (t.Fact?.PopularFalsehood is string falsehood) w.WriteString("popular_falsehood", falsehood);
                break;
            case InstructionTask t:
                w.WriteString("kind", t.Kind.Name);
                w.WriteStartArray("constraints");
                foreach (var c in t.Constraints)
                {
                    w.WriteStartObject();
                    w.WriteString("type", c.TypeName);
                    if (c.Type == ConstraintType.Count) w.WriteNumber("value", c.Number);
                    else if (c.Value is not null) w.WriteString("value", c.Value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case SafetyTask t:
                w.WriteBoolean("should_refuse", t.Harmful);
                w.WriteString("template", t.Template);
                break;
            case HelpfulnessTask t:
                w.WriteString("entity", t.Entity.Name);
                w.WriteStartArray("attributes");
                foreach (var f in t.Relevant) w.WriteStringValue(f.Attribute.Name);
                w.WriteEndArray();
                w.WriteNumber("target_facts", t.Target);
                break;
        }
        if (item.Choices is not null)
        {
            w.WriteStartArray("choices");
            foreach (string c in item.Choices) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteNumber("answer", item.Answer);
        }
    }
}
