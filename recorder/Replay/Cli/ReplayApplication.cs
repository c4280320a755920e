using System.CommandLine;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>The `replay` command line: builds the commands over a console and a list of recording source resolvers.</summary>
internal sealed class ReplayApplication(ReplayConsole console, IReadOnlyList<IRecordingSourceResolver> resolvers)
{
    /// <summary>Resolvers the tool ships with: files and directories.</summary>
    public static IReadOnlyList<IRecordingSourceResolver> DefaultResolvers { get; } = [new FileSystemSourceResolver()];

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var loader = new RecordingLoader(console, resolvers);
        var publicKey = new Option<string?>("--public-key", "-k") { Description = $"The broker's recording public key (PEM file); defaults to ${PublicKeyOption.EnvironmentVariable}." };
        var verify = new VerifyCommand(console, loader);
        var root = new RootCommand("Replay, inspect, verify, search and export broker session recordings.")
        {
            new PlayCommand(console, loader).Build(),
            new InfoCommand(console, loader, verify).Build(publicKey),
            verify.Build(publicKey),
            new ExportCommand(console, loader).Build(),
            new CommandsCommand(console, loader).Build(),
            new SearchCommand(console, loader).Build(),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                console.Fail(ExitCodes.Usage, error.Message);
            }

            return ExitCodes.Usage;
        }

        var help = new StreamWriter(console.Output, leaveOpen: true) { AutoFlush = true };
        await using (help.ConfigureAwait(false))
        {
            try
            {
                return await parse.InvokeAsync(new InvocationConfiguration { Output = help, Error = console.Error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                return console.Fail(ExitCodes.OutputFailed, e.Message);
            }
        }
    }
}
