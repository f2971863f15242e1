using System.IO.Compression;
using System.Text;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using Parquet.Schema;
using Parquet.Serialization;
using Parquet;
using Xunit;

namespace PrefLab.Tests.Data;

/// <summary>Reading streams: a file is read a line (or a row group) at a time, so one larger than memory can
/// be read. The files here are written a row at a time and never held whole; live memory while reading them
/// stays far below their size.</summary>
public class StreamingTests
{
    const int Rows = 30_000;

    static string Row(int i) =>
        $$"""{"prompt":"question number {{i}} about the topic of streaming readers","chosen":"a good long answer {{i}} with several words in it","rejected":"bad {{i}}","id":"{{i}}"}""";

    [Fact]
    public void A_large_jsonl_file_is_read_with_flat_live_memory()
    {
        using var dir = new TempDir();
        string path = dir.File("big.jsonl");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
            for (int i = 0; i < Rows; i++) writer.WriteLine(Row(i));
        long fileBytes = new FileInfo(path).Length;

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        long count = 0;
        string? lastId = null;
        var pairs = DatasetReader.ReadPairs(path);
        foreach (var pair in pairs)
        {
            count++;
            lastId = pair.Id;
            if (count % 10_000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }
        Assert.Equal(Rows, count);
        Assert.Equal((Rows - 1).ToString(), lastId);
        Assert.Equal(Rows, pairs.Report.RowsRead);
        Assert.True(fileBytes > 4_000_000, $"the file should be large enough to tell: {fileBytes} bytes");
        // Holding the rows would take more than the file's size (UTF-16 strings plus objects).
        Assert.True(peak < fileBytes / 8, $"live memory grew by {peak} bytes while reading a {fileBytes}-byte file");
    }

    [Fact]
    public void Gzipped_jsonl_is_read_the_same_way()
    {
        using var dir = new TempDir();
        string path = dir.File("small.jsonl.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gzip, new UTF8Encoding(false)))
            for (int i = 0; i < 10; i++) writer.WriteLine(Row(i));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), DatasetReader.ReadPairs(path).Select(p => p.Id));
    }

    [Fact]
    public async Task A_parquet_file_of_many_row_groups_is_read_one_group_at_a_time()
    {
        using var dir = new TempDir();
        string path = dir.File("big.parquet");
        var schema = new ParquetSchema(new DataField<string>("prompt"), new DataField<string>("chosen"), new DataField<string>("rejected"), new DataField<string>("id"));
        const int groups = 30, perGroup = 250;
        // Appended group by group: the test never holds the file's rows.
        for (int g = 0; g < groups; g++)
        {
            var rows = Enumerable.Range(g * perGroup, perGroup).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["prompt"] = $"question {i} " + new string((char)('a' + i % 26), 600),
                ["chosen"] = $"answer {i} " + new string((char)('b' + i % 20), 600),
                ["rejected"] = $"bad {i}",
                ["id"] = i.ToString(),
            }).ToList();
            await using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
            await ParquetSerializer.SerializeUntypedAsync(rows!, schema, stream, new ParquetOptions { Append = g > 0 });
        }
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, count = 0;
        var pairs = DatasetReader.ReadPairs(path);
        foreach (var pair in pairs)
        {
            Assert.Equal(count.ToString(), pair.Id);
            Assert.Equal(new RowLocation(path, count % perGroup, (int)(count / perGroup)), pair.Origin);
            count++;
            if (count % (6 * perGroup) == perGroup / 2) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }
        Assert.Equal(groups * perGroup, count);
        // The whole file's text is about 18 MB as UTF-16, one row group's 0.6 MB; reading a group holds it
        // about three times over (Parquet.Net's column buffers and the row dictionaries).
        long wholeText = (long)groups * perGroup * 2 * 2 * 610;
        Assert.True(peak < wholeText / 4, $"live memory grew by {peak} bytes; the file's text is about {wholeText} bytes");
    }
}
