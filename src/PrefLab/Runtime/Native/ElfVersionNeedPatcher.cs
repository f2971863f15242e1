// This file is compiled twice: into the PrefLab library, and by MSBuild's RoslynCodeTaskFactory as the
// build task that patches every build and publish output (build/PrefLab.targets). Keep it to plain C#
// that needs nothing beyond netstandard2.0 (what that factory compiles against), and keep the task
// wrapper at the bottom.
#nullable enable
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace PrefLab.Runtime.Native
{
    /// <summary>What <see cref="ElfVersionNeedPatcher.MarkWeak"/> did to a file.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The version need was strong and is now weak; the file was rewritten.</summary>
        Patched,
        /// <summary>The version need was already weak; the file was not touched.</summary>
        AlreadyWeak,
    }

    /// <summary>
    /// Marks one version need of an ELF64 little-endian x86-64 shared object as weak
    /// (VER_FLG_WEAK = 0x2 in its <c>.gnu.version_r</c> auxiliary entry), so the dynamic loader
    /// accepts a system library that lacks that version.
    /// </summary>
    /// <remarks>
    /// Why: TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13's libstdc++) for a single
    /// symbol, <c>_ZSt21ios_base_library_initv</c>, that it references but never relocates against.
    /// Debian 12 and Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so the library refuses to load.
    /// A weak version need loads and runs. Exactly two bytes (the flags field) may change.
    /// </remarks>
    public static class ElfVersionNeedPatcher
    {
        public const ushort VerFlagWeak = 0x2;
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort EmX86_64 = 62;

        /// <summary>Where a version need's flags live, and their value.</summary>
        public sealed class VersionNeed
        {
            public VersionNeed(string file, string version, long flagsOffset, ushort flags)
            {
                File = file; Version = version; FlagsOffset = flagsOffset; Flags = flags;
            }
            public string File { get; }
            public string Version { get; }
            public long FlagsOffset { get; }
            public ushort Flags { get; }
            public bool IsWeak { get { return (Flags & VerFlagWeak) != 0; } }
        }

        /// <summary>Finds <paramref name="version"/> needed from <paramref name="neededFile"/>, or throws
        /// <see cref="InvalidDataException"/> naming what is wrong with the file.</summary>
        public static VersionNeed Find(byte[] elf, string path, string neededFile, string version)
        {
            RequireElf64X86(elf, path);
            long shoff = (long)U64(elf, 0x28, path);
            int shentsize = U16(elf, 0x3A, path);
            int shnum = U16(elf, 0x3C, path);
            if (shoff <= 0 || shentsize < 64 || shnum == 0 || shoff + (long)shentsize * shnum > elf.Length)
                throw Bad(path, "its section header table lies outside the file");

            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (U32(elf, sh + 4, path) != ShtGnuVerneed) continue;
                long offset = (long)U64(elf, sh + 0x18, path);
                long size = (long)U64(elf, sh + 0x20, path);
                int link = (int)U32(elf, sh + 0x28, path);
                uint count = U32(elf, sh + 0x2C, path); // sh_info: number of Verneed entries
                if (offset < 0 || offset + size > elf.Length)
                    throw Bad(path, ".gnu.version_r lies outside the file");
                if (link <= 0 || link >= shnum)
                    throw Bad(path, ".gnu.version_r links to no string table");
                long strSh = shoff + (long)link * shentsize;
                long strOffset = (long)U64(elf, strSh + 0x18, path);
                long strSize = (long)U64(elf, strSh + 0x20, path);
                if (strOffset < 0 || strOffset + strSize > elf.Length)
                    throw Bad(path, "its dynamic string table lies outside the file");

                long need = offset;
                for (uint n = 0; n < count; n++)
                {
                    if (need < offset || need + 16 > offset + size) throw Bad(path, ".gnu.version_r entry out of range");
                    int auxCount = U16(elf, need + 2, path);
                    string file = Str(elf, strOffset, strSize, U32(elf, need + 4, path), path);
                    long aux = need + U32(elf, need + 8, path);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (aux < offset || aux + 16 > offset + size) throw Bad(path, ".gnu.version_r auxiliary entry out of range");
                        string name = Str(elf, strOffset, strSize, U32(elf, aux + 8, path), path);
                        if (file == neededFile && name == version)
                            return new VersionNeed(file, name, aux + 4, (ushort)U16(elf, aux + 4, path));
                        uint nextAux = U32(elf, aux + 12, path);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, need + 12, path);
                    if (next == 0) break;
                    need += next;
                }
                throw Bad(path, "it does not need " + version + " from " + neededFile);
            }
            throw Bad(path, "it has no .gnu.version_r section");
        }

        /// <summary>Reads <paramref name="path"/>, finds the version need and marks it weak in place
        /// (through a temporary file and a rename). Idempotent.</summary>
        public static ElfPatchOutcome MarkWeak(string path, string neededFile, string version)
        {
            byte[] elf = System.IO.File.ReadAllBytes(path);
            VersionNeed need = Find(elf, path, neededFile, version);
            if (need.IsWeak) return ElfPatchOutcome.AlreadyWeak;
            ushort flags = (ushort)(need.Flags | VerFlagWeak);
            // Copy (which keeps the file mode), change the two bytes in the copy, then rename it over the
            // original: a process that has the old file mapped keeps it, and no reader sees half a file.
            string temporary = path + ".preflab-tmp";
            System.IO.File.Copy(path, temporary, true);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
            {
                stream.Position = need.FlagsOffset;
                stream.WriteByte((byte)(flags & 0xFF));
                stream.WriteByte((byte)(flags >> 8));
            }
            System.IO.File.Replace(temporary, path, null);
            return ElfPatchOutcome.Patched;
        }

        static void RequireElf64X86(byte[] elf, string path)
        {
            if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw Bad(path, "it is not an ELF file");
            if (elf[4] != 2) throw Bad(path, "it is not a 64-bit ELF file");
            if (elf[5] != 1) throw Bad(path, "it is not a little-endian ELF file");
            if (U16(elf, 0x12, path) != EmX86_64) throw Bad(path, "it is not an x86-64 ELF file");
        }

        static InvalidDataException Bad(string path, string why)
        {
            return new InvalidDataException("Refusing to patch " + path + ": " + why + ".");
        }

        static int U16(byte[] b, long at, string path)
        {
            if (at < 0 || at + 2 > b.Length) throw Bad(path, "it is truncated");
            return b[at] | (b[at + 1] << 8);
        }

        static uint U32(byte[] b, long at, string path)
        {
            if (at < 0 || at + 4 > b.Length) throw Bad(path, "it is truncated");
            return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        }

        static ulong U64(byte[] b, long at, string path)
        {
            return U32(b, at, path) | ((ulong)U32(b, at + 4, path) << 32);
        }

        static string Str(byte[] b, long tableOffset, long tableSize, uint index, string path)
        {
            if (index >= tableSize) throw Bad(path, "a version name lies outside its string table");
            long start = tableOffset + index;
            long end = start;
            while (end < tableOffset + tableSize && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)start, (int)(end - start));
        }
    }

    /// <summary>Asks the dynamic loader (not the file system) whether the libstdc++ that a library
    /// would bind to defines a given symbol version.</summary>
    public static class LibStdCxxProbe
    {
        public const string LibraryName = "libstdc++.so.6";
        public const string RequiredVersion = "GLIBCXX_3.4.32";
        // The one symbol libLibTorchSharp.so needs at GLIBCXX_3.4.32; GCC 13's libstdc++ defines it there.
        public const string SymbolAtRequiredVersion = "_ZSt21ios_base_library_initv";

        const int RtldNow = 2;

        [DllImport("libc.so.6", EntryPoint = "dlopen")] static extern IntPtr DlopenLibc(string file, int mode);
        [DllImport("libc.so.6", EntryPoint = "dlvsym")] static extern IntPtr DlvsymLibc(IntPtr handle, string symbol, string version);
        [DllImport("libdl.so.2", EntryPoint = "dlopen")] static extern IntPtr DlopenLibdl(string file, int mode);
        [DllImport("libdl.so.2", EntryPoint = "dlvsym")] static extern IntPtr DlvsymLibdl(IntPtr handle, string symbol, string version);

        /// <summary>True when this process's loader resolves <see cref="SymbolAtRequiredVersion"/> at
        /// <see cref="RequiredVersion"/> in libstdc++; false when it does not; null when it cannot tell
        /// (not Linux, not glibc, or no libstdc++ at all).</summary>
        public static bool? HasRequiredVersion()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return null;
            try
            {
                // glibc >= 2.34 exports dlopen/dlvsym from libc; older ones from libdl.
                IntPtr handle = DlopenLibc(LibraryName, RtldNow);
                return handle == IntPtr.Zero ? (bool?)null : DlvsymLibc(handle, SymbolAtRequiredVersion, RequiredVersion) != IntPtr.Zero;
            }
            catch (EntryPointNotFoundException) { }
            catch (DllNotFoundException) { }
            try
            {
                IntPtr handle = DlopenLibdl(LibraryName, RtldNow);
                return handle == IntPtr.Zero ? (bool?)null : DlvsymLibdl(handle, SymbolAtRequiredVersion, RequiredVersion) != IntPtr.Zero;
            }
            catch (EntryPointNotFoundException) { return null; }
            catch (DllNotFoundException) { return null; }
        }

        /// <summary>The path of the libstdc++ this process has mapped, for messages; null if unknown.</summary>
        public static string? LoadedPath()
        {
            if (HasRequiredVersion() == null) return null; // also maps libstdc++ if nothing had
            try
            {
                foreach (string line in System.IO.File.ReadLines("/proc/self/maps"))
                {
                    int slash = line.IndexOf('/');
                    if (slash >= 0 && line.IndexOf("libstdc++.so", StringComparison.Ordinal) >= 0) return line.Substring(slash);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return null;
        }
    }
}

#if !PREFLAB_LIBRARY
namespace PrefLab.Build
{
    /// <summary>MSBuild task: marks libLibTorchSharp.so's GLIBCXX_3.4.32 need weak in an output folder,
    /// only where this machine's libstdc++ lacks that version.</summary>
    public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string LibraryPath { get; set; } = "";

        public override bool Execute()
        {
            if (!System.IO.File.Exists(LibraryPath)) return true;
            bool? has = PrefLab.Runtime.Native.LibStdCxxProbe.HasRequiredVersion();
            if (has != false) return true; // the system provides it, or this is not Linux: do nothing
            try
            {
                var outcome = PrefLab.Runtime.Native.ElfVersionNeedPatcher.MarkWeak(
                    LibraryPath, PrefLab.Runtime.Native.LibStdCxxProbe.LibraryName, PrefLab.Runtime.Native.LibStdCxxProbe.RequiredVersion);
                if (outcome == PrefLab.Runtime.Native.ElfPatchOutcome.Patched)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "PrefLab: marked GLIBCXX_3.4.32 weak in " + LibraryPath + " (this system's libstdc++ lacks it).");
                return true;
            }
            catch (Exception e)
            {
                Log.LogError("PrefLab: could not patch " + LibraryPath + ": " + e.Message);
                return false;
            }
        }
    }
}
#endif
