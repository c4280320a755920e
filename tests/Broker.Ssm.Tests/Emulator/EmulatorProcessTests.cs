using System.Diagnostics;
using Amazon.Runtime;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.Targets;
using Broker.Ssm.Tests.Support;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>The emulator as the executable a person starts by hand.</summary>
public sealed class EmulatorProcessTests : IDisposable
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "Ssm.Emulator");
    private readonly string _directory = Directory.CreateTempSubdirectory("ssm-emulator-process-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string CredentialsFile(string text)
    {
        var path = Path.Combine(_directory, "credentials");
        File.WriteAllText(path, text);
        return path;
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    [Fact]
    public async Task Started_by_hand_it_serves_the_api_and_sessions_to_the_keys_of_a_credentials_file()
    {
        var credentials = CredentialsFile("[default]\naws_access_key_id = AKIABYHAND000000001\naws_secret_access_key = by-hand-secret\n");
        using var emulator = Start("--port", "0", "--credentials", credentials, "--tag", "Name=by-hand");
        try
        {
            var line = await emulator.StandardOutput.ReadLineAsync().WaitAsync(Waits.Step);
            line.Should().StartWith("ssm-emulator listening on http://127.0.0.1:");
            var url = new Uri(line!.Split(' ')[3]);
            var key = new BasicAWSCredentials("AKIABYHAND000000001", "by-hand-secret");
            var target = new SsmTarget(
                new SsmTargetSettings { Name = "by-hand", Instance = InstanceSelector.ByTags(new Dictionary<string, string> { ["Name"] = "by-hand" }), Endpoint = new SsmEndpoint("us-east-1", url) },
                key);

            var started = await target.StartCommandAsync(new CommandStart(new TargetCommand.Argv(["echo", "by", "hand"]), new Dictionary<string, string>()), CancellationToken.None).AsTask().WaitAsync(Waits.Step);
            var output = new OutputCollector(started.Process!.Output);
            (await started.Process.Exited.WaitAsync(Waits.Step)).Code.Should().Be(0);
            await output.Completed.WaitAsync(Waits.Step);
            await started.Process.DisposeAsync();

            output.Text.Should().Be("by hand\n");
        }
        finally
        {
            emulator.Kill(entireProcessTree: true);
            await emulator.WaitForExitAsync().WaitAsync(Waits.Step);
        }
    }

    [Fact]
    public async Task Without_a_credentials_file_it_prints_one_line_and_exits_2()
    {
        using var emulator = Start("--port", "0");
        var stderr = await emulator.StandardError.ReadToEndAsync().WaitAsync(Waits.Step);
        await emulator.WaitForExitAsync().WaitAsync(Waits.Step);

        emulator.ExitCode.Should().Be(2);
        stderr.TrimEnd('\n').Should().NotContain("\n").And.StartWith("ssm-emulator: ").And.Contain("--credentials");
    }

    [Fact]
    public async Task A_credentials_file_without_keys_is_refused_with_its_file_and_line()
    {
        var credentials = CredentialsFile("[default]\naws_access_key_id = AKIAONLY\n");
        using var emulator = Start("--credentials", credentials);
        var stderr = await emulator.StandardError.ReadToEndAsync().WaitAsync(Waits.Step);
        await emulator.WaitForExitAsync().WaitAsync(Waits.Step);

        emulator.ExitCode.Should().Be(2);
        stderr.Should().Be($"ssm-emulator: {credentials}:1: the profile needs aws_access_key_id and aws_secret_access_key\n");
    }
}
