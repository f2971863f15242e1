using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Data.Reading;
using PrefLab.Generation;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
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
        var policy = new Option<string?>("--policy") { Description = "Sample the policy (usually the SFT model) on --prompts and fit on its responses.", HelpName = "DIR" };
        var prompts = new Option<string?>("--prompts") { Description = "Prompts for --policy (any format with prompts).", HelpName = "FILE" };
        var samples = new Option<int>("--samples") { Description = "Responses to sample from --policy: prompts in a seeded random order, one sample each, cycling if there are fewer.", DefaultValueFactory = _ => 512, HelpName = "N" };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature for --policy (default 0.7: the paper's PPO sampling temperature, so PPO's first rewards come out mean 0, std 1).", DefaultValueFactory = _ => 0.7, HelpName = "T" };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling for --policy.", HelpName = "P" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "At most this many new tokens a sample.", DefaultValueFactory = _ => 128, HelpName = "N" };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompt order and the sampling.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var responses = new Option<string?>("--responses") { Description = "Instead of --policy: a file of the policy's samples ({\"prompt\", \"response\"} rows, e.g. from preflab generate, or conversations).", HelpName = "FILE" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass (scoring and generation).", DefaultValueFactory = _ => 16, HelpName = "N" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest prompt + response in tokens for the reward model; longer samples are left out and counted (default: the model's max positions).", HelpName = "N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The reward model's"), HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the fitted normalisation as one JSON object." };
        var command = new Command("normalize", "Fit and store a reward normalisation so that the policy's samples score mean 0 and standard deviation 1 (population); PPO and best-of-N apply it through the reward model (RewardModel.Score).")
        {
            model, policy, prompts, samples, temperature, topP, maxNewTokens, seed, responses, batchSize, maxLength, chatFormat, json,
        };
        command.SetAction(parse =>
        {
            string folder = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model");
            string? policyDir = parse.GetValue(policy), responsesFile = parse.GetValue(responses);
            if ((policyDir is null) == (responsesFile is null)) throw UserError.InOption("policy", "give exactly one of --policy (with --prompts) and --responses");
            if (parse.GetValue(batchSize) < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {parse.GetValue(batchSize)}");
            var scoring = new RewardModelOptions { BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), ChatFormat = parse.GetValue(chatFormat), Normalize = false };
            RewardNormalization fitted;
            if (responsesFile is not null)
            {
                foreach (var option in new Option[] { prompts, samples, temperature, topP, maxNewTokens, seed })
                    if (parse.GetResult(option) is { Implicit: false }) throw UserError.InOption(option.Name.TrimStart('-'), "applies only with --policy");
                fitted = RewardNormalizationFit.FromResponses(folder, CommandPaths.ExistingFile(responsesFile, "responses"), scoring);
            }
            else
            {
                string promptsFile = parse.GetValue(prompts) is { } p ? CommandPaths.ExistingFile(p, "prompts") : throw UserError.InOption("prompts", "is needed with --policy");
                var generation = new GenerationOptions
                {
                    Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), MaxNewTokens = parse.GetValue(maxNewTokens),
                    Seed = parse.GetValue(seed), BatchSize = parse.GetValue(batchSize),
                };
                fitted = RewardNormalizationFit.FromPolicy(folder, CommandPaths.ExistingFolder(policyDir!, "policy"), promptsFile,
                    new PolicySamplingOptions { Samples = parse.GetValue(samples), Generation = generation, Read = new ReadOptions() }, scoring);
            }
            var output = parse.InvocationConfiguration.Output;
            string path = RewardNormalization.PathIn(Path.GetFullPath(folder));
            if (parse.GetValue(json))
                output.WriteLine(new JsonObject { ["mean"] = fitted.Mean, ["std"] = fitted.Std, ["samples"] = fitted.Samples, ["file"] = path, ["fitted_on"] = fitted.FittedOn?.DeepClone() }.ToJsonString(JsonOptions.Compact));
            else
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rm normalize: {fitted.Samples} samples, raw mean {fitted.Mean:G6}, std {fitted.Std:G6}; written to {path}"));
            return CliApp.ExitOk;
        });
        return command;
    }
}
