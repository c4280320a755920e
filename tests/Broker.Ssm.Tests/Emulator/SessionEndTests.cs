using Broker.Core.Interactive;
using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Ssm.Targets;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>How sessions end: on the instance, from our side (TerminateSession), or refused at the start.</summary>
public sealed class SessionEndTests : IAsyncLifetime
{
    private SsmRig? _rig;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    private async Task<SsmRig> RigAsync(SsmEmulatorOptions? options = null) => _rig = await SsmRig.StartAsync(options);

    [Fact]
    public async Task When_our_side_ends_the_session_it_is_terminated_on_the_instance_with_the_same_credential()
    {
        var rig = await RigAsync();
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        await Keys.TypeAsync(shell, $"sleep {marker}\n");
        await LocalProcesses.WaitForAsync($"sleep\0{marker}\0");

        shell.KillAll();

        (await shell.Exited.WaitAsync(Waits.Step)).Should().Be(new ProcessExit(137, 9));
        await output.Completed.WaitAsync(Waits.Step);
        // Disposing waits for TerminateSession's answer, so the call is on the emulator's record.
        await shell.DisposeAsync().AsTask().WaitAsync(Waits.Step);
        var session = rig.Emulator.Sessions[0];
        await session.Ended.WaitAsync(Waits.Step);
        session.TerminatedByApi.Should().BeTrue();
        rig.Emulator.Calls.Should().ContainSingle(c => c.Operation == "TerminateSession")
            .Which.Should().Match<global::Broker.DevServices.Ssm.Api.ApiCall>(c => c.AccessKeyId == rig.AccessKeyId && c.ErrorCode == null && c.Request.Contains(session.SessionId));
        // The program on the instance is gone: it was killed with the shell, and exits as soon as it runs again.
        await LocalProcesses.WaitForGoneAsync($"sleep\0{marker}\0");
    }

    [Fact]
    public async Task Disposing_a_running_command_terminates_its_session()
    {
        var rig = await RigAsync();
        var process = await rig.Target().StartCommandAsync(new CommandStart(new TargetCommand.Argv(["sleep", "600"]), new Dictionary<string, string>()), CancellationToken.None);

        await process.Process!.DisposeAsync().AsTask().WaitAsync(Waits.Step);

        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
        rig.Emulator.Calls.Should().Contain(c => c.Operation == "TerminateSession");
    }

    [Fact]
    public async Task A_session_that_ended_on_the_instance_is_not_terminated_again()
    {
        var rig = await RigAsync();
        var process = await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["true"]));
        await process.Exited.WaitAsync(Waits.Step);

        process.KillAll();
        await process.DisposeAsync();

        rig.Emulator.Calls.Should().NotContain(c => c.Operation == "TerminateSession");
    }

    [Fact]
    public async Task A_kms_encrypted_session_is_refused_with_a_message_that_says_so_and_terminated()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { KmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1234abcd" });

        var result = await rig.Target().StartTerminalAsync(SsmRig.Terminal(), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.Process.Should().BeNull();
        result.Error.Should().Contain("KMS-encrypted").And.Contain("key/1234abcd");
        // The agent aborts on the refusal, and the broker terminates the session too: whichever lands first ends it.
        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
    }

    [Fact]
    public async Task A_terminal_session_with_a_handshake_starts_like_one_without()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { StandardStreamHandshake = true, CustomerMessage = "hello from the agent" });
        var shell = (SsmTerminalProcess)await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal(100, 30));
        var output = new OutputCollector(shell.Output);

        await Keys.TypeAsync(shell, "stty size\n");

        await output.WaitForAsync("30 100");
        shell.CustomerMessage.Should().Be("hello from the agent");
    }

    [Fact]
    public async Task A_target_that_is_not_connected_fails_to_start_with_the_services_reason()
    {
        var rig = await RigAsync();

        var result = await rig.Target(s => s with { Instance = Broker.Ssm.Api.InstanceSelector.ById("i-00000000000000000") })
            .StartTerminalAsync(SsmRig.Terminal(), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.ErrorExitCode.Should().Be(126);
        result.Error.Should().Contain("TargetNotConnected");
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_the_start_as_a_value()
    {
        var rig = await RigAsync();
        var closed = new Uri($"http://127.0.0.1:{FreePort()}/");

        var result = await rig.Target(s => s with { Endpoint = s.Endpoint with { ServiceUrl = closed, RequestTimeout = TimeSpan.FromSeconds(5) } })
            .StartCommandAsync(new CommandStart(new TargetCommand.Argv(["true"]), new Dictionary<string, string>()), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.Error.Should().Contain("SsmUnreachable");
    }

    [Fact]
    public async Task A_session_whose_agent_never_says_what_it_runs_is_refused_and_terminated()
    {
        // cat prints no prompt, so a shell session without a handshake never shows its type.
        var rig = await RigAsync(new SsmEmulatorOptions { Shell = "/bin/cat" });

        var result = await rig.Target(s => s with { Channel = s.Channel with { ReadyTimeout = TimeSpan.FromSeconds(2) } })
            .StartTerminalAsync(SsmRig.Terminal(), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.Error.Should().Contain("did not start the session within 2 s");
        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
        rig.Emulator.Sessions[0].TerminatedByApi.Should().BeTrue();
    }

    [Fact]
    public async Task A_start_cancelled_during_the_line_mode_setup_terminates_the_session_it_opened()
    {
        // The probe is never answered: cat echoes nothing back that looks like a setup marker.
        var rig = await RigAsync(new SsmEmulatorOptions { Shell = "/bin/cat", StandardStreamHandshake = true });
        using var cancel = new CancellationTokenSource();
        var start = rig.Target().StartTerminalAsync(SsmRig.Terminal(integration: ShellIntegration.Create()), cancel.Token).AsTask();
        await WaitUntilAsync(() => rig.Emulator.Sessions.Count == 1 && rig.Emulator.Sessions[0].InputReceived().Length > 0);

        await cancel.CancelAsync();

        await start.Awaiting(t => t.WaitAsync(Waits.Step)).Should().ThrowAsync<OperationCanceledException>();
        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
        rig.Emulator.Sessions[0].TerminatedByApi.Should().BeTrue();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Waits.Step);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
