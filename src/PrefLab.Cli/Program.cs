using PrefLab.Runtime;
using PrefLab.Runtime.Console;
using PrefLab.Runtime.Distributed;

// Under mpirun.mpich every rank runs this: MPI is started (and its library loaded) only then. Ranks other than 0
// print nothing but errors: rank 0 writes the run folder and speaks for the job.
ProcessGroup group;
try
{
    group = ProcessGroup.StartFromEnvironment();
}
catch (UserError e)
{
    Console.Error.WriteLine($"preflab: error: {e.Message}");
    return PrefLab.Cli.CliApp.ExitUserError;
}
using (group)
{
    if (!group.IsRoot) ProgressReporter.Quiet = true;
    return PrefLab.Cli.CliApp.Run(args, group.IsRoot ? Console.Out : TextWriter.Null, Console.Error);
}
