using System.Text.Json.Nodes;
using PrefLab.Evaluation.IfEval;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// Reads IFEval JSONL: <c>key</c>, <c>prompt</c>, <c>instruction_id_list</c> and <c>kwargs</c> (one object per
/// instruction; null values mean absent, as in the Hugging Face copy). Every instruction id must be an IFEval
/// one and its kwargs complete and well-typed; unsupported-but-known instructions (language:response_language)
/// are read and left to the scorer's policy.
/// </summary>
public static class IfEvalReader
{
    public static BenchmarkFile<IfEvalItem> Read(string path, bool skipBadRows = false) =>
        RowCollector.FromJson(path, JsonRecords.Read(path), Parse, skipBadRows);

    static IfEvalItem Parse(JsonObject record, RowContext row)
    {
        string prompt = row.RequireString(record, "prompt");
        var ids = row.RequireStrings(record, "instruction_id_list");
        if (ids.Count == 0) throw row.Error("instruction_id_list", "is empty");
        var kwargsNode = record["kwargs"] ?? throw row.Error("kwargs", "is missing");
        if (kwargsNode is not JsonArray kwargs) throw row.Error("kwargs", $"must be a list of objects, not {RowContext.Describe(kwargsNode)}");
        if (kwargs.Count != ids.Count)
            throw row.Error("kwargs", $"has {kwargs.Count} entries but instruction_id_list has {ids.Count}");
        var instructions = new List<IfEvalInstruction>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            if (!InstructionRegistry.IsKnown(ids[i]))
                throw row.Error($"instruction_id_list[{i}]", $"unknown IFEval instruction '{ids[i]}'");
            if (kwargs[i] is not (null or JsonObject))
                throw row.Error($"kwargs[{i}]", $"must be an object, not {RowContext.Describe(kwargs[i])}");
            var instruction = new IfEvalInstruction(ids[i], kwargs[i] as JsonObject);
            try
            {
                InstructionRegistry.Validate(instruction.Id, instruction.Arguments);
            }
            catch (ArgumentException e)
            {
                throw row.Error($"kwargs[{i}]", e.Message);
            }
            instructions.Add(instruction);
        }
        return new IfEvalItem(row.Id(record, "key", "id"), prompt, instructions);
    }
}
