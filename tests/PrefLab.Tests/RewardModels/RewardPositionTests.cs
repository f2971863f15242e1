using PrefLab.Algorithms.RewardModeling;
using PrefLab.Data.Collation;
using PrefLab.Rewards;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

/// <summary>The reward is read at each sequence's final token (its EOS) whatever the padding: the expected
/// values are each sequence scored alone, without padding.</summary>
public class RewardPositionTests
{
    static readonly TokenizedSequence[] Sequences =
    [
        Sequence(14, 21, 43, 44, 45, 46, 47),
        Sequence(40, 21),
        Sequence(29, 21, 31),
        Sequence(30),
    ];

    static double MaxDiff(IReadOnlyList<double> a, IReadOnlyList<double> b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    static double[] Alone(RewardModel rm) => Sequences.Select(s => RmTestKit.Alone(rm.Model, s).Reward).ToArray();

    /// <summary>What a naive implementation reads: the head's output at the batch's last column.</summary>
    static double[] LastColumn(RewardModel rm, TokenBatch batch)
    {
        using var values = rm.Model.TokenValues(batch.InputIds, batch.AttentionMask);
        using var last = values.select(1, values.shape[1] - 1).to_type(ScalarType.Float64);
        return last.data<double>().ToArray();
    }

    static RewardModel Load(TempDir dir, bool padIsEos)
    {
        var rm = RewardModel.Load(RewardFolder(dir.File("rm"), seed: 3, padIsEos: padIsEos), new RewardModelOptions { BatchSize = 8 });
        using (no_grad()) rm.Model.ScoreWeight.mul_(40);
        return rm;
    }

    [Theory]
    [InlineData(PaddingSide.Right, false)]
    [InlineData(PaddingSide.Left, false)]
    [InlineData(PaddingSide.Right, true)]
    [InlineData(PaddingSide.Left, true)]
    public void Scores_of_a_padded_batch_equal_each_sequence_scored_alone(PaddingSide side, bool padIsEos)
    {
        using var dir = new TempDir();
        using var rm = Load(dir, padIsEos);
        Assert.Equal(padIsEos ? Eos : Pad, rm.Chat.PadId);
        var expected = Alone(rm);
        using var batch = Collator.Pad(Sequences, rm.Chat.PadId, side);
        using var scores = rm.ScoreTokens(batch.InputIds, batch.AttentionMask, normalize: false);
        var actual = scores.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.True(MaxDiff(expected, actual) < 1e-4, $"max difference {MaxDiff(expected, actual)}");

        // Negative control: reading the last column instead is wrong for the padded rows (right padding), so the
        // same check fails on it. (With left padding the last column is the EOS, which is why left padding alone
        // could not catch the mistake.)
        if (side == PaddingSide.Right)
            Assert.False(MaxDiff(expected, LastColumn(rm, batch)) < 1e-4, "the last column should not be the EOS of padded rows");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_scoring_API_and_the_training_objective_read_the_EOS_too(bool padIsEos)
    {
        using var dir = new TempDir();
        using var rm = Load(dir, padIsEos);
        var expected = Alone(rm);
        // RewardModel.ScoreSequences batches by length and pads on the right with the tokenizer's pad id.
        Assert.True(MaxDiff(expected, rm.ScoreSequences(Sequences)) < 1e-4);
        // The objective's one forward pass over chosen (rows 0, 1) then rejected (rows 2, 3) rows.
        var pairs = new List<TokenizedPair> { new(Sequences[0], Sequences[2], 9, null), new(Sequences[3], Sequences[1], 9, null) };
        var objective = new RewardModelObjective(rm.Model, pairs, [], rm.Chat.PadId, 2, null, _ => { });
        using var scope = NewDisposeScope();
        var (_, chosen, rejected, _) = objective.Forward(pairs);
        var c = chosen.to_type(ScalarType.Float64).data<double>().ToArray();
        var r = rejected.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.True(MaxDiff([expected[0], expected[3]], c) < 1e-4);
        Assert.True(MaxDiff([expected[2], expected[1]], r) < 1e-4);
    }

    [Fact]
    public void Normalised_scores_apply_the_stored_shift_and_scale()
    {
        using var dir = new TempDir();
        string folder = RewardFolder(dir.File("rm"), seed: 2);
        new RewardNormalization(0.25, 2.0, 10).Write(folder);
        using var rm = RewardModel.Load(folder);
        Assert.True(rm.IsNormalized);
        string[] prompts = ["what is the capital of france ?", "what is the capital of france ?"];
        string[] responses = ["paris .", "blue ."];
        var raw = rm.ScoreRaw(prompts.Select(p => (IReadOnlyList<PrefLab.Data.Records.Message>)[PrefLab.Data.Records.Message.User(p)]).ToList(), responses);
        var normalized = rm.Score(prompts, responses);
        for (int i = 0; i < 2; i++) Assert.Equal((raw[i] - 0.25) / 2.0, normalized[i], 1e-12);
        using var off = RewardModel.Load(folder, new RewardModelOptions { Normalize = false });
        Assert.Equal(raw, off.Score(prompts, responses));
        // A response too long for the model is an error naming it, not a silent truncation.
        using var short_ = RewardModel.Load(folder, new RewardModelOptions { MaxLength = 8 });
        var error = Assert.Throws<PrefLab.Runtime.UserError>(() => short_.Score(prompts, responses));
        Assert.Contains("response 0", error.Message);
    }
}
