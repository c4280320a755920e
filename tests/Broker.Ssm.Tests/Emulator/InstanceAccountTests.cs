using Broker.Core.Interactive;
using Broker.Core.Targets;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Agent;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>The instance's programs under an unprivileged account, as the agent's ssm-user.</summary>
public sealed class InstanceAccountTests : IAsyncLifetime
{
    private SsmRig _rig = null!;

    public async Task InitializeAsync()
    {
        Environment.UserName.Should().Be("root", "switching the instance's account needs a root emulator, as the suite runs in CI");
        _rig = await SsmRig.StartAsync(new SsmEmulatorOptions { RunAs = InstanceAccount.Find("nobody") });
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task Commands_run_as_the_instance_account_in_a_home_it_owns()
    {
        var process = await _rig.StartCommandAsync(_rig.Target(), new TargetCommand.Script("id -un; echo written > \"$HOME/file\" && cat \"$HOME/file\""));
        var output = new OutputCollector(process.Output);

        (await process.Exited.WaitAsync(Waits.Step)).Code.Should().Be(0);
        await output.Completed.WaitAsync(Waits.Step);

        output.Text.Should().Be("nobody\nwritten\n");
    }

    [Fact]
    public async Task Line_mode_is_set_up_for_a_shell_running_as_the_instance_account()
    {
        var integration = ShellIntegration.Create();
        var (shell, output) = await _rig.StartAtPromptAsync(_rig.Target(), integration);

        await Keys.TypeAsync(shell, "echo user=$(id -un)\n");

        await output.WaitForAsync("user=nobody");
        shell.Setup!.Installed.Should().BeTrue();
    }
}
