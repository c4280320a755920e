using System.Text;
using System.Text.RegularExpressions;
using Broker.Core.Interactive;
using Broker.Core.Targets;
using Broker.Ssm.Tests.Support;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>A shell on the emulated instance through SsmTarget, as a raw terminal.</summary>
public sealed partial class InteractiveShellTests : IAsyncLifetime
{
    private SsmRig _rig = null!;

    public async Task InitializeAsync() => _rig = await SsmRig.StartAsync();

    public async Task DisposeAsync() => await _rig.DisposeAsync();


    [Fact]
    public async Task The_shell_shows_its_prompt_and_runs_a_typed_command()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);

        await output.WaitForAsync(o => PromptAtEnd().IsMatch(o), what: "a prompt");
        await Keys.TypeAsync(shell, "echo hel''lo from the instance\n");

        // The typed line is echoed as typed; only the shell's run of it prints the joined word.
        await output.WaitForAsync("hello from the instance");
        _rig.Emulator.Sessions.Should().ContainSingle().Which.StartedBy.Should().Be(_rig.AccessKeyId);
    }

    [Fact]
    public async Task Stty_sees_the_size_sent_by_a_resize()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal(80, 24));
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync(o => PromptAtEnd().IsMatch(o), what: "a prompt");

        shell.Resize(132, 43).Should().BeTrue();
        await Keys.TypeAsync(shell, "stty size\n");

        await output.WaitForAsync("43 132");
    }

    [Fact]
    public async Task Ctrl_c_interrupts_the_foreground_program_and_the_shell_goes_on()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync(o => PromptAtEnd().IsMatch(o), what: "a prompt");
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";

        await Keys.TypeAsync(shell, $"sleep {marker}\n");
        await LocalProcesses.WaitForAsync($"sleep\0{marker}\0");
        shell.Signal(TargetSignal.Interrupt).Should().BeTrue();
        await Keys.TypeAsync(shell, "echo st''atus=$?\n");

        await output.WaitForAsync("status=130");
        (await LocalProcesses.CountAsync($"sleep\0{marker}\0")).Should().Be(0);
    }

    [Fact]
    public async Task With_the_audit_markers_the_shells_own_exit_status_is_reported()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal(integration: ShellIntegration.CreateForAudit()));
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync("\u001b]133;B;");

        await Keys.TypeAsync(shell, "exit 3\n");

        (await shell.Exited.WaitAsync(Waits.Step)).Should().Be(new Broker.Core.Processes.ProcessExit(3, 0));
        await output.Completed.WaitAsync(Waits.Step);
        output.Text.Should().NotContain("133;X;", "the exit-status marker is taken out of the output");
        _rig.Emulator.Calls.Should().NotContain(c => c.Operation == "TerminateSession", "the session ended on its own");
    }

    [Fact]
    public async Task Without_markers_an_orderly_end_reports_0_since_ssm_carries_no_exit_status()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync(o => PromptAtEnd().IsMatch(o), what: "a prompt");

        await Keys.TypeAsync(shell, "exit 7\n");

        (await shell.Exited.WaitAsync(Waits.Step)).Code.Should().Be(0);
        await output.Completed.WaitAsync(Waits.Step);
    }

    [Fact]
    public async Task Input_is_delivered_once_and_in_order_even_when_typed_in_many_small_frames()
    {
        var shell = await _rig.StartTerminalAsync(_rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync(o => PromptAtEnd().IsMatch(o), what: "a prompt");

        foreach (var c in "echo 'a''b''c' $((6*7))\n")
        {
            await Keys.TypeAsync(shell, c.ToString());
        }

        await output.WaitForAsync("abc 42");
        Encoding.UTF8.GetString(_rig.Emulator.Sessions[0].InputReceived()).Should().Be("echo 'a''b''c' $((6*7))\n");
    }

    [GeneratedRegex(@"[#$] $")]
    private static partial Regex PromptAtEnd();
}
