using System.Text.Json.Nodes;
using PrefLab.Algorithms.BestOfN;
using PrefLab.Data.Collation;
using PrefLab.Data.Records;
using PrefLab.Evaluation.Harness;
using PrefLab.Generation;
using PrefLab.Lab.Execution;
using PrefLab.Models;
using PrefLab.Rewards;
using PrefLab.Text;
using PrefLab.Text.Chat;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Lab;

/// <summary>A lab best-of-N node and <c>preflab bon</c> are one best-of-N: the same draw, judge and pick.</summary>
public class BestOfNNodeTests
{
    [Fact]
    public void The_lab_generator_answers_each_prompt_with_the_sample_bon_picks_and_its_next_chunk_draws_afresh()
    {
        using var dir = new TempDir();
        string policy = CausalFolder(dir.File("policy"), seed: 3);
        string rm = RewardFolder(dir.File("rm"), seed: 4);
        // A random head scores every sample nearly alike; a steep one makes the pick depend on the judge.
        using (var head = ScalarHeadModel.Load(rm))
        {
            using (no_grad()) head.ScoreWeight.mul_(40);
            head.Save(rm, new ModelSaveOptions { PadTokenId = Pad });
        }
        string[] texts = ["what is the capital of france ?", "hello", "name a color ."];
        string prompts = dir.File("prompts.jsonl");
        File.WriteAllLines(prompts, texts.Select(t => new JsonObject { ["prompt"] = t }.ToJsonString()));
        var generation = new GenerationOptions { Temperature = 1.0, MaxNewTokens = 6, Seed = 5 };

        BestOfNJob.Run(new BestOfNOptions
        {
            Policy = policy, RewardModel = rm, Prompts = prompts, Output = dir.File("bon"), N = 4, ReportN = [1, 4], Generation = generation,
        });
        var bonPicks = File.ReadAllLines(Path.Combine(dir.File("bon"), BestOfNJob.BestFile))
            .Select(l => JsonNode.Parse(l)!["response"]!.GetValue<string>()).ToList();
        var bonSamples = File.ReadAllLines(Path.Combine(dir.File("bon"), BestOfNJob.SamplesFile)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.True(bonSamples.GroupBy(s => s["prompt_index"]!.GetValue<int>()).Any(g => g.Select(s => s["response"]!.GetValue<string>()).Distinct().Count() > 1),
            "the 4 samples of some prompt should differ, or any pick would pass");

        // The harness hands the generator each item's text and its ids rendered as one user message, and its own
        // decoding settings (greedy for the items); the generator samples at the node's temperature.
        var tokenizer = TokenizerLoader.Load(policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        var items = texts.Select(t => new GenerationPrompt(t, chat.Prompt([Message.User(t)]))).ToList();
        using var model = CausalLM.Load(policy);
        using var scorer = new BestOfNScorer(rm, [], null, new RewardModelOptions());
        var generator = new BestOfNResponseGenerator(model, tokenizer, scorer, 4, temperature: 1.0);
        var labPicks = generator.Generate(items, generation with { Temperature = 0 }).Select(p => p.Text).ToList();
        Assert.Equal(bonPicks, labPicks);

        // A second call is the next chunk, with its own seed: chunks do not replay one another's draws.
        var nextChunk = generator.Generate(items, generation with { Temperature = 0 }).Select(p => p.Text).ToList();
        Assert.NotEqual(labPicks, nextChunk);
    }
}
