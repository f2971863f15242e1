using System.Reflection;
using PrefLab.Runtime.Native;
using Xunit;

namespace PrefLab.Tests.Runtime;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ElfVersionNeedPatcherTests
{
    const string Needed = LibStdCxxProbe.LibraryName;
    const string Version = LibStdCxxProbe.RequiredVersion;

    /// <summary>The untouched libLibTorchSharp.so from the NuGet cache (build outputs hold patched copies).</summary>
    static string OriginalLibrary()
    {
        string root = typeof(ElfVersionNeedPatcherTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        string path = Path.Combine(root, "torchsharp", PrefLab.Runtime.TorchRuntime.TorchSharpVersion,
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"expected the package's native library at {path}");
        return path;
    }

    [Fact]
    public void Patch_changes_only_the_flags_of_that_version_need()
    {
        using var dir = new TempDir();
        string copy = dir.File("libLibTorchSharp.so");
        File.Copy(OriginalLibrary(), copy);
        byte[] before = File.ReadAllBytes(copy);
        var need = ElfVersionNeedPatcher.Find(before, copy, Needed, Version);
        Assert.False(need.IsWeak);
        Assert.Equal(0, need.Flags);

        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MarkWeak(copy, Needed, Version));

        byte[] after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.Equal(new[] { (int)need.FlagsOffset }, changed); // the low byte of the flags: 0x0000 -> 0x0002
        Assert.Equal(ElfVersionNeedPatcher.VerFlagWeak, after[need.FlagsOffset]);
        Assert.True(ElfVersionNeedPatcher.Find(after, copy, Needed, Version).IsWeak);
        // Neighbouring needs from the same library stay strong.
        Assert.False(ElfVersionNeedPatcher.Find(after, copy, Needed, "GLIBCXX_3.4.30").IsWeak);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.preflab-tmp"));
    }

    [Fact]
    public void Patch_is_idempotent_and_keeps_the_file_mode()
    {
        using var dir = new TempDir();
        string copy = dir.File("libLibTorchSharp.so");
        File.Copy(OriginalLibrary(), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        ElfVersionNeedPatcher.MarkWeak(copy, Needed, Version);
        byte[] once = File.ReadAllBytes(copy);

        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MarkWeak(copy, Needed, Version));

        Assert.Equal(once, File.ReadAllBytes(copy));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead,
            File.GetUnixFileMode(copy));
    }

    [Fact]
    public void Refuses_a_file_that_is_not_ELF()
    {
        using var dir = new TempDir();
        string text = dir.File("libLibTorchSharp.so");
        File.WriteAllText(text, "this is not a shared library, just text long enough to have a header's worth of bytes in it");
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkWeak(text, Needed, Version));
        Assert.Contains("not an ELF file", error.Message);
        Assert.Contains(text, error.Message);
    }

    [Fact]
    public void Refuses_a_32_bit_or_big_endian_or_other_machine_ELF()
    {
        byte[] original = File.ReadAllBytes(OriginalLibrary());
        byte[] elf32 = (byte[])original.Clone(); elf32[4] = 1;
        byte[] bigEndian = (byte[])original.Clone(); bigEndian[5] = 2;
        byte[] arm64 = (byte[])original.Clone(); arm64[0x12] = 183; arm64[0x13] = 0;
        Assert.Contains("64-bit", Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(elf32, "x", Needed, Version)).Message);
        Assert.Contains("little-endian", Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(bigEndian, "x", Needed, Version)).Message);
        Assert.Contains("x86-64", Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(arm64, "x", Needed, Version)).Message);
    }

    [Fact]
    public void Refuses_an_ELF_that_does_not_need_the_version_and_a_truncated_one()
    {
        byte[] original = File.ReadAllBytes(OriginalLibrary());
        Assert.Contains("does not need GLIBCXX_9.9.9",
            Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(original, "x", Needed, "GLIBCXX_9.9.9")).Message);
        Assert.Contains("does not need",
            Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(original, "x", "libfoo.so.1", Version)).Message);
        byte[] truncated = original[..(original.Length / 2)];
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.Find(truncated, "x", Needed, Version));
    }

    [Fact]
    public void Failed_patch_leaves_the_file_untouched()
    {
        using var dir = new TempDir();
        string copy = dir.File("lib.so");
        File.WriteAllBytes(copy, File.ReadAllBytes(OriginalLibrary())[..4096]);
        byte[] before = File.ReadAllBytes(copy);
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkWeak(copy, Needed, Version));
        Assert.Equal(before, File.ReadAllBytes(copy));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
