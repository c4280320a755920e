using System.Runtime.Versioning;
using System.Text;
using Broker.Core.Interactive;
using Broker.Ssm.Targets;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>
/// Installing the line-mode prompt markers through the session's first input, in a shell the
/// broker did not start: what the agent sees, what the remote history keeps, and refusals.
/// </summary>
public sealed class LineModeSetupTests : IAsyncLifetime
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("ssm-line-mode-").FullName;
    private SsmRig? _rig;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }

        Directory.Delete(_scratch, recursive: true);
    }

    private async Task<SsmRig> RigAsync(SsmEmulatorOptions options) => _rig = await SsmRig.StartAsync(options);


    [Theory]
    [InlineData("/bin/sh")]
    [InlineData("/bin/bash")]
    public async Task The_markers_are_installed_unseen_and_the_session_starts_at_the_first_prompt_marker(string loginShell)
    {
        var rig = await RigAsync(new SsmEmulatorOptions { Shell = loginShell });
        var integration = ShellIntegration.Create();

        var shell = (SsmTerminalProcess)await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal(integration: integration));
        var output = new OutputCollector(shell.Output);

        shell.Setup!.Installed.Should().BeTrue();
        shell.Setup.BashVersion.Should().MatchRegex(@"^\d+\.\d+$");
        await output.WaitForAsync($"\u001b]133;A;{integration.Nonce};");
        output.Text.Should().StartWith($"\u001b]133;A;{integration.Nonce};0\u0007", "nothing of the setup reaches the agent");
        output.Text.Should().NotContain("__b").And.NotContain("stty").And.NotContain(RemoteShellSync(integration));
    }

    [Fact]
    public async Task A_command_handed_over_after_the_sync_line_runs_with_its_markers_and_is_not_echoed()
    {
        var rig = await RigAsync(new SsmEmulatorOptions());
        var integration = ShellIntegration.Create();
        var (shell, output) = await rig.StartAtPromptAsync(rig.Target(), integration);

        shell.SetEcho(false).Should().BeTrue("the remote prompt hook switches echo itself");
        await Keys.TypeAsync(shell, "echo li''ne; exit 4\n");

        await output.WaitForAsync($"\u001b]133;C;{integration.Nonce}\u0007");
        (await shell.Exited.WaitAsync(Waits.Step)).Code.Should().Be(4);
        await output.Completed.WaitAsync(Waits.Step);
        var afterPrompt = output.Text[output.Text.IndexOf($"133;B;{integration.Nonce}", StringComparison.Ordinal)..];
        afterPrompt.Should().Contain("line").And.NotContain("echo li''ne", "at the prompt the remote terminal does not echo");
        output.Text.Should().NotContain(RemoteShellSync(integration), "the sync line is never echoed");
    }

    [Fact]
    public async Task A_running_program_gets_the_terminal_echo_back()
    {
        var rig = await RigAsync(new SsmEmulatorOptions());
        var integration = ShellIntegration.Create();
        var (shell, output) = await rig.StartAtPromptAsync(rig.Target(), integration);

        await Keys.TypeAsync(shell, "cat\n");
        await output.WaitForAsync($"\u001b]133;C;{integration.Nonce}\u0007");
        await Keys.TypeAsync(shell, "typed-by-the-agent\n");

        // Once echoed by the terminal, once printed by cat.
        await output.WaitForAsync("typed-by-the-agent", count: 2);
    }

    [Fact]
    public async Task The_nonce_and_the_sync_token_stay_out_of_the_remote_history()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { Shell = "/bin/bash" });
        var integration = ShellIntegration.Create();
        var (shell, output) = await rig.StartAtPromptAsync(rig.Target(), integration);

        await Keys.TypeAsync(shell, "echo agent-command-kept-in-history; exit\n");
        await shell.Exited.WaitAsync(Waits.Step);

        var history = await File.ReadAllTextAsync(Path.Combine(rig.Emulator.Sessions[0].HomeDirectory, ".bash_history"));
        history.Should().Contain("agent-command-kept-in-history", "the agent's own commands are history as usual");
        history.Should().NotContain(integration.Nonce).And.NotContain(RemoteShellSync(integration)).And.NotContain("__b");
    }

    [Fact]
    public async Task Line_mode_is_refused_when_the_instance_has_no_bash_and_the_session_is_terminated()
    {
        var path = Directory.CreateDirectory(Path.Combine(_scratch, "no-bash")).FullName;
        File.CreateSymbolicLink(Path.Combine(path, "stty"), "/usr/bin/stty");
        var rig = await RigAsync(new SsmEmulatorOptions { InstancePath = path });

        var result = await rig.Target().StartTerminalAsync(SsmRig.Terminal(integration: ShellIntegration.Create()), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.Process.Should().BeNull();
        result.ErrorExitCode.Should().Be(126);
        result.Error.Should().Contain("line mode follows the prompt of bash").And.Contain("no bash");
        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
        rig.Emulator.Calls.Should().Contain(c => c.Operation == "TerminateSession" && c.ErrorCode == null);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Line_mode_is_refused_on_a_bash_without_ps0()
    {
        var path = Directory.CreateDirectory(Path.Combine(_scratch, "old-bash")).FullName;
        File.CreateSymbolicLink(Path.Combine(path, "stty"), "/usr/bin/stty");
        var fake = Path.Combine(path, "bash");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\necho 4.2\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var rig = await RigAsync(new SsmEmulatorOptions { InstancePath = path });

        var result = await rig.Target().StartTerminalAsync(SsmRig.Terminal(integration: ShellIntegration.Create()), CancellationToken.None).AsTask().WaitAsync(Waits.Step);

        result.Error.Should().Contain("bash 4.2 is older than 4.4");
    }

    [Fact]
    public async Task An_audited_raw_terminal_without_bash_still_runs_with_its_echo_restored()
    {
        var path = Directory.CreateDirectory(Path.Combine(_scratch, "raw-no-bash")).FullName;
        File.CreateSymbolicLink(Path.Combine(path, "stty"), "/usr/bin/stty");
        var rig = await RigAsync(new SsmEmulatorOptions { InstancePath = path });

        var shell = (SsmTerminalProcess)await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal(integration: ShellIntegration.CreateForAudit()));
        var output = new OutputCollector(shell.Output);
        await Keys.TypeAsync(shell, "echo typed-and-echoed\n");

        shell.Setup!.Installed.Should().BeFalse();
        await output.WaitForAsync("typed-and-echoed", count: 2);
    }

    private static string RemoteShellSync(ShellIntegration integration) => Encoding.ASCII.GetString(integration.SyncLine.Span).Trim('\n');
}
