using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>nectar</c> (berkeley-nest/Nectar): <c>prompt</c> (an HH-style "\n\nHuman: ...\n\nAssistant:" transcript,
/// or plain text) and <c>answers</c> <c>[{answer, model, rank}]</c>, rank 1 best. The score is the rank
/// (entered negated, so the margin is rank(rejected) - rank(chosen)). A transcript prompt's trailing empty
/// assistant turn is removed; the prompt must then end with a user turn.
/// </summary>
internal sealed class NectarFormat : RowFormat<PreferencePair>
{
    public override string Name => "nectar";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["prompt", "answers"]];
    public override IReadOnlyList<string> ScoreNames { get; } = ["rank"];
    public override string DefaultScore => "rank";

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        ResolveScore(context.Options.Binarize.Score);
        var prompt = Prompt(row.String("prompt"));
        var answers = row.Array("answers");
        var responses = new List<ScoredResponse>();
        for (int i = 0; i < answers.Count; i++)
        {
            string path = $"answers[{i}]";
            var answer = Json.Object(answers[i] ?? throw new RowError(path, "is null"), path);
            string text = Json.String(Json.Required(answer, "answer", path), path + ".answer");
            double rank = Json.Number(Json.Required(answer, "rank", path), path + ".rank");
            responses.Add(new ScoredResponse([Message.Assistant(text)], -rank));
        }
        var template = RowMetadata.Apply(new PreferencePair(prompt, [], []), row);
        Binarizer.AddPairs(template, responses, context.Options.Binarize.Selection, context, output);
    }

    static IReadOnlyList<Message> Prompt(string text)
    {
        if (!HhTranscript.LooksLikeTranscript(text)) return [Message.User(text)];
        var messages = HhTranscript.Parse(text, "prompt");
        if (messages[^1].Role == Roles.Assistant && messages[^1].Content.Trim().Length == 0) messages.RemoveAt(messages.Count - 1);
        if (messages.Count == 0 || messages[^1].Role != Roles.User)
            throw new RowError("prompt", "the transcript does not end with a Human turn (and an empty Assistant turn)");
        return messages;
    }
}
