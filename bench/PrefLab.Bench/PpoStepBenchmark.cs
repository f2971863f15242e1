using System.Text.Json.Nodes;
using PrefLab.Algorithms.Ppo;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Runtime.Console;
using PrefLab.World;

namespace PrefLab.Bench;

/// <summary>
/// One PPO update on a preset (default world-base) split into generation, scoring (reward model), log-probs
/// (old policy, reference and old values: the training-mode forwards before any update) and training, with
/// tokens/s. A small Preference World provides the tokenizer and prompts; the policy and the reward model are
/// random (so responses run to the length limit: the worst case), the reward model the same preset as the
/// policy, as the paper's 13B/13B. The paper's defaults (1 PPO epoch, 1 minibatch) and TRL's (4 epochs, 4
/// minibatches) are both timed. The run before the timed one warms up; the machine is shared, so figures are
/// indicative.
/// </summary>
public sealed class PpoStepBenchmark : IBenchmark
{
    readonly string preset;
    const int Prompts = 64, NewTokens = 48, ForwardBatch = 16;

    public PpoStepBenchmark(string preset = "world-base") => this.preset = preset;

    public string Name => "ppo-step";
    public string Description => $"one PPO update of {preset} ({Prompts} prompts, {NewTokens} new tokens): generation / scoring / log-probs / training time and tokens/s";

    public JsonObject Run(BenchContext context)
    {
        ProgressReporter.Quiet = true;
        var workspace = BenchWorkspace.Create("ppo");
        string root = workspace.Root;
        try
        {
            string world = workspace.World;
            string tokenizer = workspace.Tokenizer;
            var config = ModelPresets.Create(preset, TokenizerFacts.Read(tokenizer));
            string policy = Path.Combine(root, "policy"), rm = Path.Combine(root, "rm");
            using (var model = CausalLM.Create(config, seed: 1)) model.Save(policy);
            using (var model = ScalarHeadModel.Create(config, seed: 2)) model.Save(rm);
            ModelFolder.CopyTokenizerFiles(tokenizer, policy);
            ModelFolder.CopyTokenizerFiles(tokenizer, rm);

            var result = new JsonObject { ["preset"] = preset, ["prompts"] = Prompts, ["max_new_tokens"] = NewTokens, ["forward_batch"] = ForwardBatch };
            foreach (var (label, epochs, minibatches) in new[] { ("paper", 1, 1), ("trl", 4, 4) })
            {
                var metrics = new Dictionary<string, double>();
                var options = new PpoJobOptions
                {
                    Policy = policy, RewardModel = rm, Prompts = Path.Combine(world, "prompts", "mixed.jsonl"), Output = Path.Combine(root, "run-" + label),
                    RolloutBatchSize = Prompts, GenerationBatchSize = Prompts, ForwardBatchSize = ForwardBatch, MaxNewTokens = NewTokens,
                    PpoEpochs = epochs, NumMinibatches = minibatches, Training = PrefLab.Algorithms.OnlineRl.OnlineRlOptions.DefaultTraining with { MaxSteps = 2, Lr = 1e-5 }, RolloutLogEvery = 0,
                };
                PpoJob.Run(options);
                var last = JsonNode.Parse(File.ReadLines(Path.Combine(options.Output, "metrics.jsonl")).Last())!.AsObject();
                double Get(string name) => last[name]!.GetValue<double>();
                double generated = Get("response_length") * Prompts;
                var split = new JsonObject
                {
                    ["ppo_epochs"] = epochs,
                    ["num_minibatches"] = minibatches,
                    ["generation_sec"] = Get("time/generation"),
                    ["scoring_sec"] = Get("time/scoring"),
                    ["logprobs_sec"] = Get("time/logprobs"),
                    ["training_sec"] = Get("time/training"),
                    ["update_sec"] = Get("time/update"),
                    ["generated_tokens"] = generated,
                    ["generation_tokens_per_sec"] = generated / Get("time/generation"),
                    ["update_tokens_per_sec"] = Get("tokens_per_sec"),
                };
                Console.WriteLine($"  {label} ({epochs} epoch(s) x {minibatches} minibatch(es)): generation {Get("time/generation"):F2} s " +
                    $"({generated / Get("time/generation"):F0} tok/s), scoring {Get("time/scoring"):F2} s, log-probs {Get("time/logprobs"):F2} s, " +
                    $"training {Get("time/training"):F2} s; update {Get("time/update"):F2} s ({Get("tokens_per_sec"):F0} generated tok/s)");
                result[label] = split;
            }
            return result;
        }
        finally
        {
            workspace.Dispose();
        }
    }
}
