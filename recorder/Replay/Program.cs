using Replay.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    var console = ReplayConsole.System();
    return await new ReplayApplication(console, ReplayApplication.DefaultResolvers).RunAsync(args, cancel.Token);
}
catch (OperationCanceledException)
{
    return 130;
}
