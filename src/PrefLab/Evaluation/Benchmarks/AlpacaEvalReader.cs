using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// An AlpacaEval instruction with, when the file has one, a reference output (the baseline a model is compared
/// with) and the generator that wrote it.
/// </summary>
public sealed record AlpacaEvalItem(string Id, string Instruction, string? Output, string? Generator, string? Dataset);

/// <summary>
/// Reads AlpacaEval-style files: a JSON array (alpaca_eval.json) or JSONL of objects with <c>instruction</c> and
/// optional <c>output</c>, <c>generator</c>, <c>dataset</c>, <c>id</c>. <c>output</c> is needed where the file serves
/// as the baseline (<see cref="RequireOutputs"/>).
/// </summary>
public static class AlpacaEvalReader
{
    public static BenchmarkFile<AlpacaEvalItem> Read(string path, bool skipBadRows = false) =>
        RowCollector.FromJson(path, JsonRecords.Read(path), Parse, skipBadRows);

    /// <summary>Throws a <see cref="Runtime.UserError"/> naming the first item without an output.</summary>
    public static void RequireOutputs(BenchmarkFile<AlpacaEvalItem> file)
    {
        var missing = file.Items.FirstOrDefault(item => item.Output is null);
        if (missing is not null)
            throw new Runtime.UserError($"{file.Path}: item {missing.Id} has no 'output'; a baseline file needs an output for every instruction");
    }

    static AlpacaEvalItem Parse(JsonObject record, RowContext row)
    {
        string instruction = row.RequireString(record, "instruction");
        if (instruction.Trim().Length == 0) throw row.Error("instruction", "is empty");
        return new AlpacaEvalItem(row.Id(record, "id"), instruction,
            row.OptionalString(record, "output"), row.OptionalString(record, "generator"), row.OptionalString(record, "dataset"));
    }
}
