using PrefLab.Generation;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Generation.GenerationFixtures;

namespace PrefLab.Tests.Generation;

/// <summary>Generation leaves no tensors behind: the live count is flat across calls (sampling, greedy, rows
/// dropped, stop strings, per-sequence settings with top log-probs, the padded tensors made and disposed).</summary>
public class MemoryTests : SingleThreadedTests
{
    [Fact]
    public void Live_tensors_stay_flat_across_generate_calls()
    {
        using var model = Model();
        var generator = new TextGenerator(model, Pad, new[] { Eos, 21 }, Tokenizer);
        var options = new GenerationOptions { MaxNewTokens = 10, Temperature = 0.7, TopK = 20, TopP = 0.9, BatchSize = 2, StopStrings = new[] { "paris" } };
        void Once(int seed)
        {
            var result = generator.Generate(Prompts, options with { Seed = seed });
            using var batch = result.ToBatch();
            generator.Generate(Prompts, GenerationOptions.Greedy(6) with { MinNewTokens = 2 });
            generator.Generate(Prompts, options with { Seed = seed, DropFinishedRows = false });
            // The server's path: per-sequence seeds, lengths and stops, top log-probs, the token callback.
            var requests = Prompts.Select((p, i) => new PromptRequest(p) { Seed = seed + i, MaxNewTokens = 3 + i, StopStrings = ["paris"] }).ToList();
            int heard = 0;
            generator.Generate(requests, options with { TopLogProbs = 3 }, onToken: _ => heard++);
            Assert.True(heard > 0);
        }
        Once(0); // warm-up: lazily created tensors
        long before = LiveTensors.Count;
        for (int seed = 1; seed <= 3; seed++) Once(seed);
        Assert.Equal(before, LiveTensors.Count);
    }
}
