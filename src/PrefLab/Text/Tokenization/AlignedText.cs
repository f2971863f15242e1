using System.Text;

namespace PrefLab.Text.Tokenization;

/// <summary>
/// A piece of text on its way through the tokenizer pipeline (normalized, pre-tokenized, byte-mapped), with,
/// for each of its UTF-16 chars, the range of chars of the original input it came from. This is Hugging Face's
/// NormalizedString alignment, reduced to what offsets need: token offsets into the caller's text.
/// </summary>
internal sealed class AlignedText
{
    readonly int[] starts;
    readonly int[] ends;

    public AlignedText(string text, int[] starts, int[] ends, int originStart, int originEnd)
    {
        Text = text;
        this.starts = starts;
        this.ends = ends;
        OriginStart = originStart;
        OriginEnd = originEnd;
    }

    public string Text { get; }
    public int Length => Text.Length;
    /// <summary>Where this piece starts and ends in the original input (also meaningful when it is empty).</summary>
    public int OriginStart { get; }
    public int OriginEnd { get; }

    /// <summary>A slice of the original input, aligned to itself.</summary>
    public static AlignedText Original(string input, int start, int length)
    {
        var s = new int[length];
        var e = new int[length];
        for (int i = 0; i < length; i++) { s[i] = start + i; e[i] = start + i + 1; }
        return new AlignedText(input.Substring(start, length), s, e, start, start + length);
    }

    public int StartOf(int index) => starts[index];
    public int EndOf(int index) => ends[index];

    /// <summary>The original range covered by chars [start, end) of this text.</summary>
    public (int Start, int End) OriginalRange(int start, int end)
    {
        if (end <= start)
        {
            int at = start < Length ? starts[start] : OriginEnd;
            return (at, at);
        }
        int lo = int.MaxValue, hi = int.MinValue;
        for (int i = start; i < end; i++)
        {
            lo = Math.Min(lo, starts[i]);
            hi = Math.Max(hi, ends[i]);
        }
        return (lo, hi);
    }

    public AlignedText Slice(int start, int length)
    {
        var (os, oe) = OriginalRange(start, start + length);
        return new AlignedText(Text.Substring(start, length), starts[start..(start + length)], ends[start..(start + length)], os, oe);
    }

    public override string ToString() => Text;
}

/// <summary>Builds an <see cref="AlignedText"/> char by char, each char carrying its original range.</summary>
internal sealed class AlignedTextBuilder
{
    readonly StringBuilder text = new();
    readonly List<int> starts = new();
    readonly List<int> ends = new();

    public int Length => text.Length;

    public void Append(char c, int start, int end)
    {
        text.Append(c);
        starts.Add(start);
        ends.Add(end);
    }

    public void Append(string s, int start, int end)
    {
        foreach (char c in s) Append(c, start, end);
    }

    /// <summary>Copies char <paramref name="index"/> of <paramref name="source"/> with its alignment.</summary>
    public void AppendFrom(AlignedText source, int index) => Append(source.Text[index], source.StartOf(index), source.EndOf(index));

    public void AppendFrom(AlignedText source, int start, int end)
    {
        for (int i = start; i < end; i++) AppendFrom(source, i);
    }

    public AlignedText Build(int originStart, int originEnd) =>
        new(text.ToString(), starts.ToArray(), ends.ToArray(), originStart, originEnd);
}
