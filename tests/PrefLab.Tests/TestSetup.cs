using Xunit;

// LibTorch's thread count and global RNG are process-wide; tests that train or seed must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
