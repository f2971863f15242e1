using PrefLab.Data.Binarization;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// <c>helpsteer</c> (nvidia/HelpSteer, HelpSteer2): one response a row with <c>prompt</c>, <c>response</c> and
/// 0-4 ratings <c>helpfulness</c>, <c>correctness</c>, <c>coherence</c>, <c>complexity</c>, <c>verbosity</c>.
/// Consecutive rows with the same prompt form one group (the released files keep a prompt's responses
/// together; grouping consecutive runs keeps reading streaming). A prompt that reappears after other prompts
/// forms a new group and is counted in the report's notes. Score: a named attribute, or <c>mean</c> = the
/// mean of helpfulness, correctness and coherence (complexity and verbosity describe style, where higher is
/// not better); default helpfulness. Only the attributes the score uses are required.
/// </summary>
internal sealed class HelpSteerFormat : GroupedFormat<PreferencePair, ScoredResponse>
{
    public const string Mean = "mean";
    static readonly string[] Attributes = ["helpfulness", "correctness", "coherence", "complexity", "verbosity"];
    static readonly string[] QualityAttributes = ["helpfulness", "correctness", "coherence"];
    public const string PromptReappears = "helpsteer: a prompt reappears after other prompts (grouped separately)";

    public override string Name => "helpsteer";
    public override RecordKind Kind => RecordKind.Pairs;
    public override IReadOnlyList<string[]> Signatures { get; } = [["prompt", "response", "helpfulness"]];
    public override IReadOnlyList<string> ScoreNames { get; } = [.. Attributes, Mean];
    public override string DefaultScore => "helpfulness";

    protected override string ReappearsNote => PromptReappears;

    protected override void Begin(ReadContext context) => ResolveScore(context.Options.Binarize.Score);

    protected override (string Key, ScoredResponse Item) ParseRow(Row row, ReadContext context)
    {
        string score = ResolveScore(context.Options.Binarize.Score);
        string[] used = score == Mean ? QualityAttributes : [score];
        return (row.String("prompt"), new ScoredResponse([Message.Assistant(row.String("response"))], used.Average(row.Number)));
    }

    protected override PreferencePair Template(string key, Row first) =>
        RowMetadata.Apply(new PreferencePair([Message.User(key)], [], []), first);

    protected override void Emit(PreferencePair template, IReadOnlyList<ScoredResponse> items, ReadContext context, List<PreferencePair> output) =>
        Binarizer.AddPairs(template, items, context.Options.Binarize.Selection, context, output);
}
