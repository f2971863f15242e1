using PrefLab.Evaluation.Scorers;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// A GSM8K problem: the question, the reference solution as written (reasoning ending in "#### n"), and the final
/// answer n in canonical form (see <see cref="NumericAnswer"/>).
/// </summary>
public sealed record Gsm8kItem(string Id, string Question, string Solution, string Answer);

/// <summary>Reads GSM8K JSONL: <c>question</c>, <c>answer</c> (solution with "#### n", or a bare number); optional <c>id</c>.</summary>
public static class Gsm8kReader
{
    public static BenchmarkFile<Gsm8kItem> Read(string path, bool skipBadRows = false) =>
        RowCollector.FromJson(path, JsonRecords.Read(path), Parse, skipBadRows);

    static Gsm8kItem Parse(System.Text.Json.Nodes.JsonObject record, RowContext row)
    {
        string question = row.RequireString(record, "question");
        if (question.Trim().Length == 0) throw row.Error("question", "is empty");
        string solution = row.RequireString(record, "answer");
        string answer = NumericAnswer.AfterGsm8kMarker(solution)
            ?? NumericAnswer.Normalize(solution)
            ?? throw row.Error("answer", "has no final answer: expected \"#### <number>\" at the end of the solution, or a number");
        return new Gsm8kItem(row.Id(record, "id"), question, solution, answer);
    }
}
