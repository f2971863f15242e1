using PrefLab.Bench;

// Benchmarks never run in the test suite. Usage: dotnet run --project bench/PrefLab.Bench -c Release -- [NAME ...]
return BenchmarkRunner.Run(args);
