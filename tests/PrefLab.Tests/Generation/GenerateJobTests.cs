using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Generation.Jobs;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Tests.Text;
using Xunit;

namespace PrefLab.Tests.Generation;

/// <summary>The library entry points behind <c>generate</c> and <c>logits</c>, used without the CLI.</summary>
public class GenerateJobTests : SingleThreadedTests
{
    static string ModelFolder(TempDir dir)
    {
        string folder = dir.File("model");
        using var model = GenerationFixtures.Model(1, 0.5);
        model.Save(folder);
        PrefLab.Models.ModelFolder.CopyTokenizerFiles(TokenizerFixtures.Folder("world"), folder);
        return folder;
    }

    [Fact]
    public void Generate_job_answers_prompts_in_order_the_same_for_the_same_seed_and_its_rows_carry_the_tokens()
    {
        using var dir = new TempDir();
        var options = new GenerateJobOptions
        {
            Model = ModelFolder(dir),
            Prompts = [new PromptRecord([Message.User("hello world")]), new PromptRecord([Message.User("is the sky blue ?")])],
            Decoding = new GenerationOptions { MaxNewTokens = 6, Temperature = 1.0, Seed = 4 },
        };
        int read = 0, done = 0;
        var first = GenerateJob.Run(options, n => read = n, n => done += n);
        Assert.Equal((2, 2), (read, done));
        var again = GenerateJob.Run(options);
        var rows = first.Rows(withLogProbs: true).ToList();
        Assert.Equal(["hello world", "is the sky blue ?"], rows.Select(r => r["prompt"]!.GetValue<string>()));
        Assert.Equal(rows.Select(r => r.ToJsonString()), again.Rows(withLogProbs: true).Select(r => r.ToJsonString()));
        for (int i = 0; i < 2; i++)
            Assert.Equal(first.Generation[i].TokenIds.Length, rows[i]["tokens"]!.AsArray().Count);
        var otherSeed = GenerateJob.Run(options with { Decoding = options.Decoding with { Seed = 5 } });
        Assert.NotEqual(rows.Select(r => r.ToJsonString()), otherSeed.Rows(true).Select(r => r.ToJsonString()));
    }

    [Fact]
    public void Generate_job_refuses_both_or_neither_prompt_source_naming_the_option()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<UserError>(() => GenerateJob.Run(new GenerateJobOptions { Model = ModelFolder(dir) }));
        Assert.Contains("--prompt", error.Message);
    }

    [Fact]
    public void Sequence_logits_equal_the_model_forward_and_refuse_ids_outside_the_vocabulary()
    {
        using var dir = new TempDir();
        string folder = ModelFolder(dir);
        long[] ids = [1, 5, 7];
        var logits = SequenceLogits.Compute(folder, ids);
        using var model = CausalLM.Load(folder);
        using var input = TorchSharp.torch.tensor(ids, dtype: TorchSharp.torch.ScalarType.Int64).unsqueeze(0);
        using var expected = model.forward(input);
        Assert.Equal(expected.squeeze(0).contiguous().data<float>().ToArray(), logits.Values);
        Assert.Equal(expected.shape[2], logits.VocabSize);
        Assert.Equal(expected[0, 2, 3].item<float>(), logits[2, 3]);
        var error = Assert.Throws<UserError>(() => SequenceLogits.Compute(model, [1, model.Config.VocabSize]));
        Assert.Contains("--ids", error.Message);
    }
}
