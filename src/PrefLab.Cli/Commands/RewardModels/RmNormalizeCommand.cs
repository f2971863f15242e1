using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary>
/// <c>preflab rm normalize</c>: fits the reward normalisation (policy samples score mean 0, std 1) and stores it
/// in the reward model folder. A command of its own, not an option of rm train, because the normalisation
/// belongs to a (reward model, policy) pair: the same RM is re-normalised for another policy without retraining,
/// and the samples come from the policy, not from the preference data the RM was trained on.
/// </summary>
public static class RmNormalizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Reward model folder; reward_normalization.json is written into it.", Required = true, HelpName = "DIR" };
        var responses = new Option<string>("--responses") { Description = "The policy's samples: {\"prompt\", \"response\"} rows or {\"messages\"} conversations (any file rm score reads).", Required = true, HelpName = "FILE" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest prompt + response in tokens; longer samples are left out and counted (default: the model's max positions).", HelpName = "N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = "tulu, chatml, llama3, llama2 or qwen3 (default: recognised from the model's tokenizer_config.json).", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the fitted normalisation as one JSON object." };
        var command = new Command("normalize", "Fit and store a reward normalisation so that the policy's samples score mean 0 and standard deviation 1 (population); PPO and best-of-N apply it through the reward model.")
        {
            model, responses, batchSize, maxLength, chatFormat, json,
        };
        command.SetAction(parse =>
        {
            string folder = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model");
            string file = CommandPaths.ExistingFile(parse.GetValue(responses)!, "responses");
            if (parse.GetValue(batchSize) < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {parse.GetValue(batchSize)}");
            var fitted = RewardNormalizationFit.FromResponses(folder, file, new RewardModelOptions
            {
                BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), ChatFormat = parse.GetValue(chatFormat), Normalize = false,
            });
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                output.WriteLine(new JsonObject { ["mean"] = fitted.Mean, ["std"] = fitted.Std, ["samples"] = fitted.Samples, ["file"] = RewardNormalization.PathIn(Path.GetFullPath(folder)) }.ToJsonString(JsonOptions.Compact));
            else
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rm normalize: {fitted.Samples} samples, raw mean {fitted.Mean:G6}, std {fitted.Std:G6}; written to {RewardNormalization.PathIn(Path.GetFullPath(folder))}"));
            return CliApp.ExitOk;
        });
        return command;
    }
}
