using System.CommandLine;
using System.Runtime.InteropServices;
using PrefLab.Runtime;
using PrefLab.Serving;
using PrefLab.Text.Chat;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab serve --model DIR [--model DIR ...]</c>: an OpenAI-compatible HTTP server until Ctrl+C or
/// SIGTERM (see <see cref="PreflabServer"/>).</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServeOptions { Models = [] };
        var model = new Option<string[]>("--model")
        {
            Description = "A model folder to serve; repeat for several. Causal LMs answer /v1/chat/completions and /v1/completions, reward models /v1/rewards. A model's id is its folder's name.",
            Required = true, HelpName = "DIR", AllowMultipleArgumentsPerToken = false,
        };
        var host = new Option<string>("--host") { Description = "Address to bind (an IP address or localhost); 0.0.0.0 exposes the server to the network.", DefaultValueFactory = _ => defaults.Host, HelpName = "ADDRESS" };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one (the printed URL says which).", DefaultValueFactory = _ => defaults.Port, HelpName = "N" };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on every request (401 without it).", HelpName = "KEY" };
        var maxRequestBytes = new Option<long>("--max-request-bytes") { Description = "Largest request body (413 beyond it).", DefaultValueFactory = _ => defaults.MaxRequestBytes, HelpName = "N" };
        var maxTokensLimit = new Option<int>("--max-tokens-limit") { Description = "Largest max_tokens a request may ask for (400 beyond it); the default of chat completions.", DefaultValueFactory = _ => defaults.MaxTokensLimit, HelpName = "N" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most sequences decoded together (concurrent requests share batches).", DefaultValueFactory = _ => defaults.MaxBatch, HelpName = "N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("Every model's"), HelpName = "NAME" };
        var command = new Command("serve", "Serve policies and reward models over an OpenAI-compatible HTTP API (/v1/models, /v1/chat/completions, /v1/completions, /v1/rewards).")
        {
            model, host, port, apiKey, maxRequestBytes, maxTokensLimit, maxBatch, chatFormat,
        };
        command.SetAction(parse =>
        {
            var options = new ServeOptions
            {
                Models = parse.GetValue(model) ?? [],
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey),
                MaxRequestBytes = parse.GetValue(maxRequestBytes),
                MaxTokensLimit = parse.GetValue(maxTokensLimit),
                MaxBatch = parse.GetValue(maxBatch),
                ChatFormat = parse.GetValue(chatFormat),
            };
            options.Validate();
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            try
            {
                var server = PreflabServer.StartAsync(options, TorchRuntime.Threads).GetAwaiter().GetResult();
                var output = parse.InvocationConfiguration.Output;
                foreach (var served in server.Models) output.WriteLine($"preflab serve: {served.Id} ({served.Kind.Replace('_', ' ')}) from {served.Folder}");
                output.WriteLine($"preflab serve: listening on {server.Url}/v1 (Ctrl+C stops)");
                output.Flush();
                server.WaitAsync(stop.Token).GetAwaiter().GetResult();
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            return CliApp.ExitOk;
        });
        return command;
    }
}
