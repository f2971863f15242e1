using System.Text;
using System.Text.Json.Nodes;

namespace PrefLab.Text.Tokenization;

/// <summary>A tokenizer.json <c>decoder</c>, as Hugging Face's decode_chain: token strings in, token strings
/// out; the decoded text is their concatenation.</summary>
internal interface IDecoder
{
    List<string> DecodeChain(List<string> tokens);
}

internal static class Decoders
{
    public static IDecoder? Parse(JsonNode? node, JsonFields json, string field = "decoder")
    {
        if (node is null) return null;
        var obj = json.Object(node, field);
        string type = json.TypeOf(obj, field);
        return type switch
        {
            "Sequence" => new SequenceDecoder(json.Array(obj["decoders"], field + ".decoders")
                .Select((n, i) => Parse(n, json, $"{field}.decoders[{i}]")!).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => MetaspaceDecoderFrom(MetaspacePreTokenizer.Parse(obj, json, field)),
            "Replace" => new ReplaceDecoder(TextPattern.Parse(obj["pattern"], json, field + ".pattern"), json.String(obj["content"], field + ".content")),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(json.String(obj["content"], field + ".content"),
                json.Int(obj["start"] ?? 0, field + ".start"), json.Int(obj["stop"] ?? 0, field + ".stop")),
            "BPEDecoder" => new SuffixDecoder(json.OptionalString(obj, "suffix", field + ".suffix") ?? "</w>"),
            _ => throw json.Unsupported(field, type),
        };
    }

    static IDecoder MetaspaceDecoderFrom(MetaspacePreTokenizer m) => new MetaspaceDecoder(m.Replacement, m.PrependScheme != "never");

    /// <summary>Hugging Face's clean_up_tokenization: no space before punctuation and English contractions.</summary>
    public static string CleanUpTokenizationSpaces(string s) => s
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}

internal sealed class SequenceDecoder(IDecoder[] steps) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var step in steps) tokens = step.DecodeChain(tokens);
        return tokens;
    }
}

internal sealed class ByteLevelDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens) ByteLevelAlphabet.AppendBytes(t, bytes);
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

internal sealed class MetaspaceDecoder(char replacement, bool stripLeadingSpace) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement, ' ');
            if (i == 0 && stripLeadingSpace && t.StartsWith(' ')) t = t[1..];
            result.Add(t);
        }
        return result;
    }
}

internal sealed class ReplaceDecoder(TextPattern pattern, string content) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.Select(t =>
    {
        var matches = pattern.Matches(t);
        if (matches.Count == 0) return t;
        var sb = new StringBuilder();
        int at = 0;
        foreach (var (s, e) in matches)
        {
            sb.Append(t, at, s - at).Append(content);
            at = e;
        }
        return sb.Append(t, at, t.Length - at).ToString();
    }).ToList();
}

/// <summary>Runs of &lt;0xNN&gt; tokens become the text their bytes spell; invalid UTF-8 becomes one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0) return;
            try
            {
                result.Add(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(pending.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
            }
            pending.Clear();
        }
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }
}

internal sealed class FuseDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

internal sealed class StripDecoder(string content, int start, int stop) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.Select(t =>
    {
        int from = 0, to = t.Length;
        for (int i = 0; i < start && from < to && t.AsSpan(from).StartsWith(content); i++) from += content.Length;
        for (int i = 0; i < stop && to - content.Length >= from && t.AsSpan(from, to - from).EndsWith(content); i++) to -= content.Length;
        return t[from..to];
    }).ToList();
}

internal sealed class SuffixDecoder(string suffix) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}
