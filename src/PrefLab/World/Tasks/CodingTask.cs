using PrefLab.World.Language;

namespace PrefLab.World.Tasks;

/// <summary>"what is reverse ( 3 1 4 ) ?" — a small program over a token list with one exact output.</summary>
public sealed class CodingTask : WorldTask
{
    public CodingTask(string prompt, string program, IReadOnlyList<string> input) : base(prompt)
    {
        Program = program; Input = input; Output = Run(program, input);
    }

    public string Program { get; }
    public IReadOnlyList<string> Input { get; }
    public IReadOnlyList<string> Output { get; }

    public override string Category => WorldCategories.Coding;
    public override string Family => Program;
    public override string Reference => WorldText.Join("the result is", string.Join(' ', Output), ".");

    /// <summary>The programs' semantics (sort is ordinal, which for single digits is numeric).</summary>
    public static IReadOnlyList<string> Run(string program, IReadOnlyList<string> input) => program switch
    {
        "reverse" => input.Reverse().ToList(),
        "sort" => input.OrderBy(t => t, StringComparer.Ordinal).ToList(),
        "unique" => input.Distinct().ToList(),
        "count" => WorldText.Tokens(WorldText.Number(input.Count)),
        "first" => [input[0]],
        "last" => [input[^1]],
        "increment" => input.Select(t => WorldText.Number(int.Parse(t) + 1)).ToList(),
        _ => throw new ArgumentException($"unknown program '{program}'", nameof(program)),
    };
}
