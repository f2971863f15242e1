using PrefLab.Models;
using TorchSharp;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>One sequence alone == the same sequence left-padded in a batch == right-padded == fed token by token
/// through the KV cache (also for a left-padded batch decoded step by step, as generation does), on every
/// architecture; a wrong position id must break the equality.</summary>
public class PaddingAndCacheTests
{
    const double Tolerance = 2e-5;
    static readonly long[] Long = { 3, 17, 5, 22, 9, 31, 2, 14, 7 };
    static readonly long[] Short = { 11, 4, 29, 8 };

    static Tensor Alone(CausalLM model, long[] ids) => model.forward(Ids(ids)).squeeze(0); // [T, V]

    public static IEnumerable<object[]> Architectures => CausalNames.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Padded_batches_give_the_logits_of_each_sequence_alone(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var longAlone = Alone(model, Long);
        var shortAlone = Alone(model, Short);
        int pad = Long.Length - Short.Length;
        foreach (bool left in new[] { true, false })
        {
            var (ids, mask) = Batch(new[] { Short, Long }, left);
            var logits = model.forward(ids, mask);
            Assert.True(MaxAbsDiff(logits[1], longAlone) <= Tolerance, $"{name}: unpadded row in a batch");
            var shortRows = logits[0].narrow(0, left ? pad : 0, Short.Length);
            Assert.True(MaxAbsDiff(shortRows, shortAlone) <= Tolerance, $"{name}: {(left ? "left" : "right")}-padded row");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void A_wrong_position_id_breaks_the_equality(string name)
    {
        // Negative control: the padded row's positions with one wrong id (its last token one further on). A
        // uniform shift would not do: rotary attention depends on relative positions only.
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shortAlone = Alone(model, Short);
        var (ids, mask) = Batch(new[] { Short, Long }, left: true);
        var positions = (mask.cumsum(1) - 1).clamp_min(0);
        positions[0, Long.Length - 1] = positions[0, Long.Length - 1] + 1;
        var logits = model.forward(ids, mask, positions);
        var shortRows = logits[0].narrow(0, Long.Length - Short.Length, Short.Length);
        Assert.True(MaxAbsDiff(logits[1], Alone(model, Long)) <= Tolerance, $"{name}: the other row is untouched");
        Assert.True(MaxAbsDiff(shortRows, shortAlone) > 1e-3, $"{name}: positions had no effect");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Token_by_token_through_the_cache_equals_the_full_forward(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var full = Alone(model, Long);
        using var cache = model.NewCache();
        var steps = new List<Tensor>();
        // A prefill of two tokens, then one at a time (Mistral's window of 4 is passed on the way).
        steps.Add(model.forward(Ids(Long[0], Long[1]), cache: cache).squeeze(0));
        for (int t = 2; t < Long.Length; t++)
            steps.Add(model.forward(Ids(Long[t]), cache: cache).squeeze(0));
        Assert.Equal(Long.Length, cache.Length);
        Assert.True(MaxAbsDiff(cat(steps.ToArray(), 0), full) <= Tolerance, name);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void A_left_padded_batch_decoded_through_the_cache_equals_each_sequence_alone(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        const int prompt = 3; // the short row's prompt; the long row's prompt is 8 tokens
        var shortPrompt = Short.Take(prompt).ToArray();
        var longPrompt = Long.Take(8).ToArray();
        var (ids, mask) = Batch(new[] { shortPrompt, longPrompt }, left: true);
        using var cache = model.NewCache();
        var first = model.forward(ids, mask, cache: cache);                               // [2, 8, V]
        // Step: the next token of each row, mask grown by one real column.
        var nextIds = tensor(new long[] { Short[prompt], Long[8] }).unsqueeze(1);
        mask = cat(new[] { mask, ones(2, 1, ScalarType.Int64) }, 1);
        var second = model.forward(nextIds, mask, cache: cache);                          // [2, 1, V]
        var shortAlone = Alone(model, Short);
        var longAlone = Alone(model, Long);
        Assert.True(MaxAbsDiff(first[0].narrow(0, 8 - prompt, prompt), shortAlone.narrow(0, 0, prompt)) <= Tolerance, $"{name}: prefill");
        Assert.True(MaxAbsDiff(second[0, 0], shortAlone[prompt]) <= Tolerance, $"{name}: decode of the padded row");
        Assert.True(MaxAbsDiff(second[1, 0], longAlone[8]) <= Tolerance, $"{name}: decode of the full row");
    }

    [Fact]
    public void The_sliding_window_limits_what_a_query_sees()
    {
        // Mistral's window is 4 and there are two layers: the last position reads layer-1 states of the last 4
        // positions, each of which read the 4 tokens ending at it, so the last 7 tokens reach it and no others.
        using var model = CausalLM.Load(Folder("mistral"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var baseline = Alone(model, Long);
        long last = Long.Length - 1;
        Tensor LastWith(int position)
        {
            var changed = (long[])Long.Clone();
            changed[position] = 1;
            return Alone(model, changed)[last];
        }
        Assert.True(MaxAbsDiff(LastWith(1), baseline[last]) <= 1e-6);  // 7 back: out of reach
        Assert.True(MaxAbsDiff(LastWith(2), baseline[last]) > 1e-4);   // 6 back: through layer 2
        Assert.True(MaxAbsDiff(LastWith(6), baseline[last]) > 1e-4);   // inside the window
    }

    [Fact]
    public void A_padded_row_longer_than_the_sliding_window_sees_what_it_sees_alone()
    {
        // A 6-token row under a window of 4, with 3 columns of padding: the padding must not eat into the window.
        using var model = CausalLM.Load(Folder("mistral"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] six = { 12, 6, 30, 18, 5, 27 };
        var alone = Alone(model, six);
        foreach (bool left in new[] { true, false })
        {
            var (ids, mask) = Batch(new[] { six, Long }, left);
            var rows = model.forward(ids, mask)[0].narrow(0, left ? 3 : 0, six.Length);
            Assert.True(MaxAbsDiff(rows, alone) <= Tolerance, left ? "left" : "right");
        }
        // Decoding the padded row through the cache past the window agrees too.
        var (prefillIds, prefillMask) = Batch(new[] { six.Take(2).ToArray(), Long.Take(5).ToArray() }, left: true);
        using var cache = model.NewCache();
        model.forward(prefillIds, prefillMask, cache: cache);
        var mask2 = prefillMask;
        for (int t = 2; t < six.Length; t++)
        {
            mask2 = cat(new[] { mask2, ones(2, 1, ScalarType.Int64) }, 1);
            var step = model.forward(tensor(new long[] { six[t], Long[t + 3] }).unsqueeze(1), mask2, cache: cache);
            Assert.True(MaxAbsDiff(step[0, 0], alone[t]) <= Tolerance, $"decode step {t}");
        }
    }

    [Fact]
    public void The_cache_is_disposable_and_leaves_no_tensors_behind()
    {
        using var model = CausalLM.Load(Folder("qwen3"));
        using var noGrad = no_grad();
        void Decode()
        {
            using var scope = NewDisposeScope();
            using var cache = model.NewCache();
            model.forward(Ids(Long[0], Long[1], Long[2]), cache: cache);
            for (int t = 3; t < Long.Length; t++) model.forward(Ids(Long[t]), cache: cache);
        }
        Decode(); // warm up lazily created state
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++) Decode();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        var cacheAfter = model.NewCache();
        cacheAfter.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cacheAfter.Append(0, zeros(1, 2, 1, 16), zeros(1, 2, 1, 16)));
    }
}
