using PrefLab.Runtime;
using PrefLab.Runtime.Native;
using TorchSharp;
using Xunit;

namespace PrefLab.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void A_tensor_computation_runs_in_the_test_host()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = torch.tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
        Assert.StartsWith("2.", TorchRuntime.LibTorchVersion);
    }

    [Fact]
    public void The_output_copy_is_patched_exactly_when_the_system_lacks_the_version()
    {
        string? library = TorchRuntime.LocalNativeLibrary();
        Assert.NotNull(library);
        bool? systemHas = LibStdCxxProbe.HasRequiredVersion();
        Assert.NotNull(systemHas);
        var need = ElfVersionNeedPatcher.Find(File.ReadAllBytes(library!), library!, LibStdCxxProbe.LibraryName, LibStdCxxProbe.RequiredVersion);
        Assert.Equal(systemHas == false, need.IsWeak);
    }

    [Fact]
    public void The_probe_agrees_with_the_version_strings_in_the_system_library()
    {
        string? path = LibStdCxxProbe.LoadedPath();
        Assert.NotNull(path);
        string text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path!));
        Assert.Equal(text.Contains(LibStdCxxProbe.RequiredVersion + "\0"), LibStdCxxProbe.HasRequiredVersion());
    }

    [Fact]
    public void Threads_option_takes_effect()
    {
        int original = TorchRuntime.Threads;
        try
        {
            TorchRuntime.SetThreads(1);
            Assert.Equal(1, TorchRuntime.Threads);
        }
        finally
        {
            TorchRuntime.SetThreads(original);
        }
    }

    [Fact]
    public void Diagnosis_names_library_version_and_remedy_in_one_sentence()
    {
        string message = NativeLoadDiagnostics.Explain("/app/runtimes/linux-x64/native/libLibTorchSharp.so",
            systemHasVersion: false, needIsWeak: false, loaderError: "version `GLIBCXX_3.4.32' not found", libStdCxxPath: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30");
        Assert.Contains("/app/runtimes/linux-x64/native/libLibTorchSharp.so", message);
        Assert.Contains("GLIBCXX_3.4.32", message);
        Assert.Contains("/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", message);
        Assert.Contains("dotnet build", message);
        Assert.DoesNotContain("\n", message);
        Assert.DoesNotContain("doesn't contain a reference", message);

        string other = NativeLoadDiagnostics.Explain("/app/lib.so", true, null, "libtorch_cpu.so: cannot open shared object file\nmore", null);
        Assert.Equal("Cannot load TorchSharp's native library /app/lib.so: libtorch_cpu.so: cannot open shared object file.", other);
        Assert.Contains("no runtimes/linux-x64/native", NativeLoadDiagnostics.Explain(null, false, null, null, null));
    }
}
