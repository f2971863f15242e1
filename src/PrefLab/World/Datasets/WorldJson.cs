using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PrefLab.World.Datasets;

/// <summary>
/// Deterministic JSON for everything the World writes: properties in the order the code writes them,
/// invariant number formatting (System.Text.Json's shortest round-trip form), readable escaping (the World's
/// text has apostrophes and chat markers such as &lt;|user|&gt;, which the default encoder would escape),
/// "\n" line ends.
/// </summary>
public static class WorldJson
{
    static readonly JsonWriterOptions CompactOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    static readonly JsonWriterOptions IndentedOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = true,
        IndentSize = 2,
        NewLine = "\n",
    };

    /// <summary>One JSON document written by <paramref name="write"/>, as UTF-8 bytes ending in "\n".</summary>
    public static byte[] Document(Action<Utf8JsonWriter> write, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, indented ? IndentedOptions : CompactOptions))
            write(writer);
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Rounds a statistic for the manifest so tiny float differences never reach the bytes.</summary>
    public static double Round(double value, int digits = 4) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}

/// <summary>Accumulates JSONL rows (one compact object per line, "\n" ends) and writes them atomically.</summary>
public sealed class JsonlBuilder
{
    readonly MemoryStream buffer = new();
    readonly Utf8JsonWriter writer;

    public JsonlBuilder()
    {
        writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Indented = false,
        });
    }

    public int Rows { get; private set; }

    public void Add(Action<Utf8JsonWriter> writeObjectBody)
    {
        writer.WriteStartObject();
        writeObjectBody(writer);
        writer.WriteEndObject();
        writer.Flush();
        writer.Reset();
        buffer.WriteByte((byte)'\n');
        Rows++;
    }

    public byte[] ToBytes()
    {
        writer.Flush();
        return buffer.ToArray();
    }

    public void WriteTo(string path) => PrefLab.Runtime.AtomicFile.WriteAllBytes(path, ToBytes());

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
