using System.Diagnostics;
using System.Text;

namespace EndToEnd.Tests.Multiplexer;

/// <summary>Ctrl-C (SIGINT) to an <c>exec</c> handed to a master interrupts the remote program, as on the direct path.</summary>
public sealed class MultiplexerSignalTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public MultiplexerSignalTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Sigint_interrupts_the_remote_program_with_the_same_exit_code_as_the_direct_path()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-sigint");

        var direct = await InterruptAsync(BuiltTools.AgentClient, master.ClientEnvironment(token, "no"));
        var muxed = await InterruptAsync(BuiltTools.AgentClient, master.ClientEnvironment(token));

        direct.Code.Should().Be(130, direct.Output);
        muxed.Should().Be(direct);
        (await master.ServedAsync()).Should().Be(1);
    }

    /// <summary>Runs a command that says "ready" and then waits through <paramref name="client"/>; once it said so, SIGINT to the client; its exit code and output.</summary>
    internal static async Task<(int Code, string Output)> InterruptAsync(string client, Dictionary<string, string> environment)
    {
        // Through env --default-signal=INT, which then runs the client in its own process: a test host started as a
        // background job of a non-interactive shell ignores SIGINT, and its children would inherit that (a client
        // started with SIGINT ignored keeps it ignored, as nohup expects).
        var info = new ProcessStartInfo("/usr/bin/env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--default-signal=INT", client, "exec", "--target", "local", "--script", "echo ready; sleep 300; echo never" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("BROKER_TOKEN");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(limit.Token);
            line.Should().Be("ready", await Task.WhenAny(stderr, Task.Delay(0)) == stderr ? stderr.Result : "the command did not start");
            output.AppendLine(line);
            (await BuiltTools.RunAsync("/bin/kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Code.Should().Be(0);
            output.Append(await process.StandardOutput.ReadToEndAsync(limit.Token));
            await process.WaitForExitAsync(limit.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        return (process.ExitCode, output.ToString() + await stderr);
    }
}
