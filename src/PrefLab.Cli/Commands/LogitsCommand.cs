using System.CommandLine;
using System.Globalization;
using System.Text;
using PrefLab.Models;
using PrefLab.Models.Layers;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab logits --model DIR --ids 1,2,3</c>: the raw sequence's logits as JSON (no BOS added; no
/// tokenizer needed).</summary>
public static class LogitsCommand
{
    public static Command Create()
    {
        var modelOption = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json + safetensors).", Required = true, HelpName = "DIR" };
        var idsOption = new Option<string>("--ids") { Description = "Token ids, comma-separated, used as given (no BOS is added).", Required = true, HelpName = "1,2,3" };
        var dtypeOption = new Option<string>("--dtype")
        {
            Description = "fp32 (default) or bf16 (float32 weights, bfloat16 matrix products; emulated and slow without AVX-512 BF16).",
            DefaultValueFactory = _ => "fp32",
            HelpName = "fp32|bf16",
        };
        var command = new Command("logits", "Print the logits a model gives for a sequence of token ids, as JSON {\"ids\", \"logits\"}.")
        {
            modelOption, idsOption, dtypeOption,
        };
        command.SetAction(parse =>
        {
            var linearDtype = ComputePrecision.Parse(parse.GetValue(dtypeOption)!);
            var rawIds = ParseIds(parse.GetValue(idsOption)!);
            if (linearDtype is not null && !MachineInfo.Read().HasAvx512Bf16)
                parse.InvocationConfiguration.Error.WriteLine("preflab: note: this CPU has no AVX-512 BF16; bf16 is emulated and slow");
            var logits = SequenceLogits.Compute(parse.GetValue(modelOption)!.FullName, rawIds, linearDtype);
            parse.InvocationConfiguration.Output.WriteLine(Json(logits.Ids, logits.Values, logits.VocabSize));
            return CliApp.ExitOk;
        });
        return command;
    }

    static long[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.All(p => p.Length == 0)) throw UserError.InOption("ids", "give at least one token id");
        var ids = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw UserError.InOption("ids", $"'{parts[i]}' is not a non-negative whole number");
        }
        return ids;
    }

    static string Json(long[] ids, float[] logits, int vocab)
    {
        var text = new StringBuilder(logits.Length * 12);
        text.Append("{\"ids\":[").AppendJoin(',', ids).Append("],\"logits\":[");
        for (int t = 0; t < ids.Length; t++)
        {
            if (t > 0) text.Append(',');
            text.Append('[');
            for (int v = 0; v < vocab; v++)
            {
                if (v > 0) text.Append(',');
                float value = logits[t * vocab + v];
                text.Append(float.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "null");
            }
            text.Append(']');
        }
        return text.Append("]}").ToString();
    }
}
