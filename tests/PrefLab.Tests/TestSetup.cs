using Xunit;

// LibTorch's thread count and global RNG are process-wide; tests that train or seed must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PrefLab.Tests
{
    static class TestSetup
    {
        /// <summary>The built CLI beside the tests (the test project references it).</summary>
        public static string Cli => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "PrefLab.Cli.exe" : "PrefLab.Cli");

        /// <summary>A parallel lab run started from the CLI in this process (`demo` runs two jobs on two cores) starts its
        /// nodes with this process's executable, which here is the test host: it is told to start the built CLI instead.</summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void UseTheBuiltCliForLabNodes() => PrefLab.Cli.Lab.LabSession.NodeLauncherPath = Cli;
    }
}
