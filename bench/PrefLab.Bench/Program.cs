using PrefLab.Bench;

// Benchmarks never run in the test suite. Usage: dotnet run --project bench/PrefLab.Bench -c Release -- [NAME ...]
if (args.Length > 0 && args[0] == DpoBenchmark.ChildFlag) return DpoBenchmark.RunChild(args[1..]);
if (args.Length > 0 && args[0] == QwenShapeBenchmark.ChildFlag) return QwenShapeBenchmark.RunChild(args[1..]);
if (args.Length > 0 && args[0] == CheckpointMemoryBenchmark.ChildFlag) return CheckpointMemoryBenchmark.RunChild(args[1..]);
if (args.Length > 0 && args[0] == LoraMemoryBenchmark.ChildFlag) return LoraMemoryBenchmark.RunChild(args[1..]);
return BenchmarkRunner.Run(args);
