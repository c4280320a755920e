using System.Text;
using Replay.Cli;
using Replay.Sources;

namespace Recorder.Tests.Support;

/// <summary>Runs the replay command line in process, with its output and errors captured.</summary>
internal static class ReplayRun
{
    public static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        RunAsync(_ => null, TimeProvider.System, args);

    public static async Task<(int Code, string Output, string Error)> RunAsync(
        Func<string, string?> environment, TimeProvider time, string[] args, IReadOnlyList<IRecordingSourceResolver>? resolvers = null)
    {
        var output = new MemoryStream();
        var error = new StringWriter { NewLine = "\n" };
        var console = new ReplayConsole(output, error, environment, time);
        var code = await new ReplayApplication(console, resolvers ?? ReplayApplication.DefaultResolvers).RunAsync(args, CancellationToken.None).WaitAsync(TestRecordings.Timeout);
        return (code, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }
}
