namespace PrefLab.Data;

/// <summary>
/// <c>helpsteer</c> (nvidia/HelpSteer, HelpSteer2): one response a row with <c>prompt</c>, <c>response</c> and
/// 0-4 ratings <c>helpfulness</c>, <c>correctness</c>, <c>coherence</c>, <c>complexity</c>, <c>verbosity</c>.
/// Consecutive rows with the same prompt form one group (the released files keep a prompt's responses
/// together; grouping consecutive runs keeps reading streaming). A prompt that reappears after other prompts
/// forms a new group and is counted in the report's notes. Score: a named attribute, or <c>mean</c> = the
/// mean of helpfulness, correctness and coherence (complexity and verbosity describe style, where higher is
/// not better); default helpfulness. Only the attributes the score uses are required.
/// </summary>
internal sealed class HelpSteerFormat : DataFormat<PreferencePair>
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

    sealed class Group(string prompt, PreferencePair template)
    {
        public string Prompt { get; } = prompt;
        public PreferencePair Template { get; } = template;
        public List<ScoredResponse> Responses { get; } = [];
    }

    internal override IEnumerable<PreferencePair> Read(IEnumerable<Row> rows, ReadContext context)
    {
        string score = ResolveScore(context.Options.Binarize.Score);
        string[] used = score == Mean ? QualityAttributes : [score];
        var seen = new HashSet<UInt128>();
        var output = new List<PreferencePair>();
        Group? group = null;
        foreach (var row in context.ReadableRows(rows))
        {
            string prompt = "", response = "";
            double value = 0;
            if (!context.TryParse(row, () =>
                {
                    prompt = row.String("prompt");
                    response = row.String("response");
                    value = used.Average(row.Number);
                }))
                continue;
            if (group is null || group.Prompt != prompt)
            {
                if (group is not null) Flush(group);
                foreach (var pair in output) yield return pair;
                output.Clear();
                if (!seen.Add(ContentKey.Of(prompt))) context.Note(PromptReappears);
                group = new Group(prompt, RowMetadata.Apply(new PreferencePair([Message.User(prompt)], [], []), row));
            }
            group.Responses.Add(new ScoredResponse([Message.Assistant(response)], value));
        }
        if (group is not null) Flush(group);
        foreach (var pair in output) yield return pair;

        void Flush(Group g) => Binarizer.AddPairs(g.Template, g.Responses, context.Options.Binarize.Selection, context, output);
    }

    internal override void Parse(Row row, ReadContext context, List<PreferencePair> output) =>
        throw new NotSupportedException("helpsteer groups rows; Read handles them");
}
