return PrefLab.Cli.CliApp.Run(args, Console.Out, Console.Error);
