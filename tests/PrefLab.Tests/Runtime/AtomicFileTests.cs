using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Runtime;

public class AtomicFileTests
{
    [Fact]
    public void Writes_whole_files_and_replaces_existing_ones()
    {
        using var dir = new TempDir();
        string path = dir.File("sub/out.txt");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "second");
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        using var dir = new TempDir();
        string path = dir.File("out.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            throw new InvalidOperationException("interrupted");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Folders_appear_complete_or_not_at_all()
    {
        using var dir = new TempDir();
        string target = dir.File("model");
        AtomicFile.WriteDirectory(target, tmp => File.WriteAllText(Path.Combine(tmp, "a"), "1"));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteDirectory(target, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "a"), "2");
            throw new InvalidOperationException("interrupted");
        }));
        Assert.Equal("1", File.ReadAllText(Path.Combine(target, "a")));
        Assert.Single(Directory.GetDirectories(dir.Path));
        AtomicFile.WriteDirectory(target, tmp => File.WriteAllText(Path.Combine(tmp, "b"), "3"));
        Assert.Equal(new[] { "b" }, Directory.GetFiles(target).Select(Path.GetFileName));
    }
}
