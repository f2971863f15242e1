using System.Text.Json.Nodes;
using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>ultrafeedback</c> (openbmb/UltraFeedback): <c>instruction</c> and <c>completions</c>, each with
/// <c>response</c>, <c>annotations</c> (<c>{aspect: {Rating, Rationale}}</c>), <c>fine-grained_score</c> and
/// <c>overall_score</c>. Scores: <c>mean-aspects</c> = the mean of the numeric aspect Ratings ("N/A" left
/// out; when a completion has no numeric Rating its <c>fine-grained_score</c>, which is that mean, is used);
/// <c>overall</c> = <c>overall_score</c>. A completion without the score is left out and counted.
/// </summary>
internal sealed class UltraFeedbackFormat : RowFormat<PreferencePair>
{
    public const string MeanAspects = "mean-aspects";
    public const string Overall = "overall";

    public override string Name => "ultrafeedback";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["instruction", "completions"]];
    public override IReadOnlyList<string> ScoreNames { get; } = [MeanAspects, Overall];
    public override string DefaultScore => MeanAspects;

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output)
    {
        string score = ResolveScore(context.Options.Binarize.Score);
        string instruction = row.String("instruction");
        var completions = row.Array("completions");
        var responses = new List<ScoredResponse>();
        int unscored = 0;
        for (int i = 0; i < completions.Count; i++)
        {
            string path = $"completions[{i}]";
            var completion = Json.Object(completions[i] ?? throw new RowError(path, "is null"), path);
            string response = Json.String(Json.Required(completion, "response", path), path + ".response");
            double? value = score == Overall
                ? Json.OptionalNumber(completion, "overall_score", path)
                : MeanOfAspects(completion, path);
            if (value is double v) responses.Add(new ScoredResponse([Message.Assistant(response)], v));
            else unscored++;
        }
        if (!context.PromptsOnly) for (int i = 0; i < unscored; i++) context.Drop(Drops.NoScore);
        var template = RowMetadata.Apply(new PreferencePair([Message.User(instruction)], [], []), row);
        Binarizer.AddPairs(template, responses, context.Options.Binarize.Selection, context, output);
    }

    static double? MeanOfAspects(JsonObject completion, string path)
    {
        double sum = 0;
        int count = 0;
        if (Json.Optional(completion, "annotations") is { } annotationsNode)
        {
            var annotations = Json.Object(annotationsNode, path + ".annotations");
            foreach (var (aspect, value) in annotations)
            {
                string aspectPath = $"{path}.annotations.{aspect}";
                if (value is null) continue;
                var ratingNode = Json.Required(Json.Object(value, aspectPath), "Rating", aspectPath);
                if (Json.Rating(ratingNode, aspectPath + ".Rating") is double rating)
                {
                    sum += rating;
                    count++;
                }
            }
        }
        if (count > 0) return sum / count;
        return Json.OptionalNumber(completion, "fine-grained_score", path);
    }
}
