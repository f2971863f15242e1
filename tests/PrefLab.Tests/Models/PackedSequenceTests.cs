using PrefLab.Models;
using PrefLab.Models.Layers;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>Packed rows (segment ids in the attention mask): every example in a row gets the logits it has alone,
/// on every architecture (Mistral's sliding window included); with a plain 0/1 mask over the same row the
/// later examples see the earlier ones and their logits change (negative control).</summary>
public class PackedSequenceTests
{
    const double Tolerance = 2e-5;
    static readonly long[] First = { 11, 4, 29, 8 };
    static readonly long[] Second = { 3, 17, 5, 22, 9, 31, 2, 14, 7 };
    static readonly long[] Third = { 6, 12, 19 };

    public static IEnumerable<object[]> Architectures => CausalNames.Select(n => new object[] { n });

    /// <summary>Row 0 packs First, Second, Third then two pads; row 1 holds Second alone, right-padded.</summary>
    static (Tensor Ids, Tensor Segments) PackedBatch()
    {
        long[] row0 = First.Concat(Second).Concat(Third).Concat(new long[] { 0, 0 }).ToArray();
        long[] seg0 = First.Select(_ => 1L).Concat(Second.Select(_ => 2L)).Concat(Third.Select(_ => 3L)).Concat(new long[] { 0, 0 }).ToArray();
        long[] row1 = Second.Concat(Enumerable.Repeat(0L, row0.Length - Second.Length)).ToArray();
        long[] seg1 = Second.Select(_ => 1L).Concat(Enumerable.Repeat(0L, row0.Length - Second.Length)).ToArray();
        return (tensor(row0.Concat(row1).ToArray(), new long[] { 2, row0.Length }),
                tensor(seg0.Concat(seg1).ToArray(), new long[] { 2, row0.Length }));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Each_packed_example_gets_the_logits_it_has_alone(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, segments) = PackedBatch();
        var logits = model.forward(ids, segments); // [2, T, V]
        int offset = 0;
        foreach (var example in new[] { First, Second, Third })
        {
            var alone = model.forward(Ids(example)).squeeze(0);
            Assert.True(MaxAbsDiff(logits[0].narrow(0, offset, example.Length), alone) <= Tolerance, $"{name}: example at {offset}");
            offset += example.Length;
        }
        Assert.True(MaxAbsDiff(logits[1].narrow(0, 0, Second.Length), model.forward(Ids(Second)).squeeze(0)) <= Tolerance, $"{name}: unpacked row");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Without_segment_ids_the_packed_examples_see_each_other(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, segments) = PackedBatch();
        var logits = model.forward(ids, segments.ne(0).to(ScalarType.Int64));
        var alone = model.forward(Ids(Second)).squeeze(0);
        Assert.True(MaxAbsDiff(logits[0].narrow(0, 0, First.Length), model.forward(Ids(First)).squeeze(0)) <= Tolerance, $"{name}: the first example is unaffected");
        Assert.True(MaxAbsDiff(logits[0].narrow(0, First.Length, Second.Length), alone) > 1e-3, $"{name}: the second example saw nothing of the first");
    }

    [Fact]
    public void Segment_positions_restart_at_zero_in_every_example()
    {
        using var scope = NewDisposeScope();
        var segments = tensor(new long[] { 1, 1, 2, 2, 2, 3, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 }, new long[] { 2, 8 });
        var positions = AttentionMask.SegmentPositions(segments, past: 0, length: 8);
        Assert.Equal(new long[] { 0, 1, 0, 1, 2, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0 }, positions.data<long>().ToArray());
    }

    [Fact]
    public void The_segmented_mask_is_block_diagonal_and_causal()
    {
        using var scope = NewDisposeScope();
        var segments = tensor(new long[] { 1, 1, 2, 2, 0 }, new long[] { 1, 5 });
        var mask = AttentionMask.Build(segments, past: 0, length: 5, window: null, out bool causal, segmented: true)!;
        Assert.False(causal);
        Assert.Equal(new long[] { 1, 1, 5, 5 }, mask.shape);
        bool[] expected =
        {
            true,  false, false, false, false,
            true,  true,  false, false, false,
            false, false, true,  false, false,
            false, false, true,  true,  false,
            false, false, false, false, true, // padding sees only itself
        };
        Assert.Equal(expected, mask.data<bool>().ToArray());
    }

    [Fact]
    public void A_negative_mask_value_is_refused()
    {
        using var model = CausalLM.Load(Folder("llama"));
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => model.forward(Ids(1, 2, 3), tensor(new long[] { 1, -1, 1 }).unsqueeze(0)));
        Assert.Contains("-1", error.Message);
    }
}
