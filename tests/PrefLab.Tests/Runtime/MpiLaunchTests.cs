using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;
using Xunit;

namespace PrefLab.Tests.Runtime;

public class MpiLaunchTests
{
    static Dictionary<string, string?> Env(params (string Name, string Value)[] vars) =>
        vars.ToDictionary(v => v.Name, v => (string?)v.Value);

    [Fact]
    public void Without_mpirun_or_with_one_rank_there_is_no_launch()
    {
        Assert.Null(MpiLaunch.Detect(Env()));
        Assert.Null(MpiLaunch.Detect(Env(("PATH", "/usr/bin"))));
        Assert.Null(MpiLaunch.Detect(Env(("PMI_RANK", "0"), ("PMI_SIZE", "1"))));
    }

    [Fact]
    public void Hydra_variables_give_rank_size_and_the_ranks_on_this_machine()
    {
        // What mpirun.mpich -np 2 sets (measured: PMI_RANK, PMI_SIZE, PMI_FD, MPI_LOCALRANKID, MPI_LOCALNRANKS).
        var launch = MpiLaunch.Detect(Env(("PMI_RANK", "1"), ("PMI_SIZE", "2"), ("PMI_FD", "8"), ("MPI_LOCALRANKID", "1"), ("MPI_LOCALNRANKS", "2")));
        Assert.Equal(new MpiLaunch(1, 2, 1, 2), launch);
        Assert.Equal(new MpiLaunch(3, 4, 0, 1), MpiLaunch.Detect(Env(("PMI_RANK", "3"), ("PMI_SIZE", "4"))));
    }

    [Fact]
    public void Bad_launch_variables_are_errors_naming_the_variable()
    {
        Assert.Contains("PMI_SIZE", Assert.Throws<UserError>(() => MpiLaunch.Detect(Env(("PMI_RANK", "0"), ("PMI_SIZE", "two")))).Message);
        Assert.Contains("PMI_RANK", Assert.Throws<UserError>(() => MpiLaunch.Detect(Env(("PMI_SIZE", "2")))).Message);
        Assert.Contains("not below", Assert.Throws<UserError>(() => MpiLaunch.Detect(Env(("PMI_RANK", "2"), ("PMI_SIZE", "2")))).Message);
        Assert.Contains("mpirun.mpich", Assert.Throws<UserError>(() => MpiLaunch.Detect(Env(("OMPI_COMM_WORLD_SIZE", "2")))).Message);
    }

    [Fact]
    public void Threads_per_rank_share_the_cores_among_the_ranks_on_a_machine()
    {
        Assert.Equal(8, MpiLaunch.DefaultThreads(16, 2));
        Assert.Equal(1, MpiLaunch.DefaultThreads(2, 2));
        Assert.Equal(1, MpiLaunch.DefaultThreads(2, 4));
        Assert.Equal(2, MpiLaunch.DefaultThreads(2, 1));
    }

    [Fact]
    public void A_missing_MPI_library_is_an_error_naming_what_was_tried_and_how_to_fix_it()
    {
        var env = Env((MpiLibrary.OverrideVariable, "/nonexistent/libmpich.so.12"));
        Assert.Equal(["/nonexistent/libmpich.so.12"], MpiLibrary.Candidates(env));
        Assert.Equal(MpiLibrary.LinuxCandidates, MpiLibrary.Candidates(Env()));
        var error = Assert.Throws<UserError>(() => MpiLibrary.Load(env, new MpiLaunch(1, 2, 1, 2)));
        Assert.Contains("rank 1 of 2", error.Message);
        Assert.Contains("/nonexistent/libmpich.so.12", error.Message);
        Assert.Contains("apt-get install mpich", error.Message);
        Assert.Contains(MpiLibrary.OverrideVariable, error.Message);
    }

    [Fact]
    public void Without_mpirun_the_process_group_is_this_process_and_no_MPI_library_is_loaded()
    {
        Assert.Null(MpiLaunch.Detect(MpiLaunch.ProcessEnvironment()));
        var group = ProcessGroup.StartFromEnvironment();
        Assert.Same(ProcessGroup.Current, group);
        Assert.Equal((0, 1, false), (group.Rank, group.Size, group.IsDistributed));
        Assert.Equal([42L], group.AllGather(42));
        group.Agree("options", "anything"); // one process agrees with itself without any exchange
        if (File.Exists("/proc/self/maps"))
            Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void The_first_disagreeing_rank_is_named_and_fingerprints_separate_texts()
    {
        Assert.Null(ProcessGroup.FirstDisagreement([5, 5, 5]));
        Assert.Equal(2, ProcessGroup.FirstDisagreement([5, 5, 6, 7]));
        Assert.Equal(1, ProcessGroup.FirstDisagreement([5, 4]));
        Assert.Equal(ProcessGroup.Fingerprint("lr=1e-5"), ProcessGroup.Fingerprint("lr=1e-5"));
        Assert.NotEqual(ProcessGroup.Fingerprint("lr=1e-5"), ProcessGroup.Fingerprint("lr=1e-4"));
    }
}
