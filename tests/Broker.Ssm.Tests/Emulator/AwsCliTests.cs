using System.Diagnostics;
using System.Text.Json;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm.Agent;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>
/// AWS's own CLI (botocore: another SigV4 and JSON 1.1 implementation than the .NET SDK's) against
/// the emulator. Without session-manager-plugin installed, <c>start-session</c> starts the session
/// and then terminates it, which exercises both calls as AWS's tooling makes them.
/// </summary>
public sealed class AwsCliTests : IAsyncLifetime
{
    private const string Cli = "/usr/bin/aws";
    private readonly string _home = Directory.CreateTempSubdirectory("ssm-aws-cli-").FullName;
    private SsmRig _rig = null!;

    public async Task InitializeAsync() => _rig = await SsmRig.StartAsync();

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task The_aws_cli_lists_the_instance_with_its_own_signature()
    {
        var (code, stdout, stderr) = await RunAsync("ssm", "describe-instance-information", "--filters", "Key=tag:Name,Values=emulated");

        code.Should().Be(0, stderr);
        JsonDocument.Parse(stdout).RootElement.GetProperty("InstanceInformationList")[0].GetProperty("InstanceId").GetString().Should().Be(_rig.InstanceId);
        _rig.Emulator.Calls.Should().ContainSingle().Which.AccessKeyId.Should().Be(_rig.AccessKeyId);
    }

    [Fact]
    public async Task The_aws_cli_starts_a_session_and_terminates_it_when_it_has_no_plugin_to_hand_it_to()
    {
        var (code, _, stderr) = await RunAsync("ssm", "start-session", "--target", _rig.InstanceId);

        code.Should().NotBe(0);
        stderr.Should().Contain("SessionManagerPlugin is not found");
        _rig.Emulator.Calls.Select(c => (c.Operation, c.ErrorCode)).Should().Equal(("StartSession", null), ("TerminateSession", null));
        _rig.Emulator.Sessions.Should().ContainSingle().Which.State.Should().Be(EmulatedSessionState.Ended);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args.Concat(["--endpoint-url", _rig.Emulator.ServiceUrl.AbsoluteUri, "--region", _rig.Emulator.Options.Region, "--output", "json"]))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = _home;
        start.Environment["AWS_CONFIG_FILE"] = Path.Combine(_home, "config");
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_home, "credentials");
        start.Environment["AWS_ACCESS_KEY_ID"] = _rig.Credentials.GetCredentials().AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = _rig.Credentials.GetCredentials().SecretKey;
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment["AWS_PAGER"] = "";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Waits.Step);
        return (process.ExitCode, await stdout, await stderr);
    }
}
