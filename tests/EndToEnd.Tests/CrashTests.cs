using System.Diagnostics;

namespace EndToEnd.Tests;

/// <summary>A broker killed with SIGKILL mid-session leaves a recording that verifies up to its last checkpoint.</summary>
public sealed class CrashTests
{
    [Fact]
    public async Task After_kill_9_the_recording_verifies_as_truncated_after_a_checkpoint()
    {
        var broker = new BrokerProcess();
        await broker.InitializeAsync();
        Process? client = null;
        try
        {
            var token = await broker.TokenAsync("crash-agent");
            var info = new ProcessStartInfo(BuiltTools.AgentClient)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                ArgumentList = { "exec", "--target", "local", "--", "cat" },
                Environment = { ["BROKER_URL"] = broker.Url, ["BROKER_TOKEN"] = token },
            };
            client = Process.Start(info)!;
            await client.StandardInput.WriteLineAsync("line before the crash");
            await client.StandardInput.FlushAsync();
            var echoed = await client.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            echoed.Should().Be("line before the crash");

            // The recording is flushed and checkpointed at least every second: wait until the line is
            // under a checkpoint on disk (what verify proves), then kill the broker without warning.
            var recording = Directory.EnumerateFiles(Path.Combine(broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).Single();
            var key = Path.Combine(broker.DataDirectory, "recording-key.pub.pem");
            await WaitUntilCheckpointedAsync(recording, key);
            broker.KillHard();

            var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", "--public-key", key, recording]);
            code.Should().Be(10, stdout + stderr);
            (stdout + stderr).Should().Contain("checkpoint");
            var (infoCode, infoOut, _) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", recording]);
            infoCode.Should().BeOneOf(0, 10);
            infoOut.Should().Contain("line before the crash");
        }
        finally
        {
            if (client is { HasExited: false })
            {
                client.Kill();
            }

            client?.Dispose();
            await broker.DisposeAsync();
        }
    }

    /// <summary>
    /// Polls the live recording until the echoed line is in the file and every record in the file is
    /// under a checkpoint. The file only grows, so the text is read first: a line seen there is
    /// covered once a later verify finds nothing unsigned.
    /// </summary>
    private static async Task WaitUntilCheckpointedAsync(string recording, string key)
    {
        var everythingSigned = new System.Text.RegularExpressions.Regex(@"intact up to checkpoint \d+ .*; 0 later records? (are )?not signed");
        var limit = Stopwatch.StartNew();
        while (true)
        {
            var (_, text, _) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", recording]);
            if (text.Contains("line before the crash", StringComparison.Ordinal))
            {
                var (_, verdict, _) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", "--public-key", key, recording]);
                if (everythingSigned.IsMatch(verdict))
                {
                    return;
                }
            }

            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("the live recording never had the echoed line under a checkpoint");
            }

            await Task.Delay(100);
        }
    }
}
