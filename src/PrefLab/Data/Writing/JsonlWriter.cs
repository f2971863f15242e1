using System.Text.Json.Nodes;
using System.Text.Json;
using PrefLab.Data.Records;
using PrefLab.Runtime;

namespace PrefLab.Data.Writing;

/// <summary>Writes JSON Lines atomically (temporary name, then rename), streaming: rows are written as they
/// come, so an output larger than memory is fine.</summary>
public static class JsonlWriter
{
    /// <summary>Writes one compact object a line; returns the number of lines.</summary>
    public static long Write(string path, IEnumerable<JsonObject> rows)
    {
        long count = 0;
        AtomicFile.Write(path, stream =>
        {
            // Not disposed: disposing a BufferedStream closes the stream AtomicFile still has to flush to disk.
            var buffered = new BufferedStream(stream, 1 << 16);
            using (var writer = new Utf8JsonWriter(buffered, new JsonWriterOptions { Encoder = RecordJson.Options.Encoder }))
            {
                foreach (var row in rows)
                {
                    writer.Reset();
                    row.WriteTo(writer);
                    writer.Flush();
                    buffered.WriteByte((byte)'\n');
                    count++;
                }
            }
            buffered.Flush();
        });
        return count;
    }

    public static long Write(string path, IEnumerable<DataRecord> records) => Write(path, records.Select(RecordJson.ToJson));
}
