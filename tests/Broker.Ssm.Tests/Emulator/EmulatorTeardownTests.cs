using Broker.Core.Targets;
using Broker.Ssm.Tests.Support;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>
/// The emulator stops, and its sessions end, while a program's output has not reached its end: a process that
/// detached from the session (setsid) still holds the terminal or the output pipe after the session was terminated.
/// The same state arises, by a race, when the session's leader is reaped before the event loop reads the end of
/// output a child killed with it still held open: the terminal is closed without its output ever completing.
/// </summary>
public sealed class EmulatorTeardownTests
{
    [Fact]
    public async Task The_emulator_stops_while_a_detached_process_still_holds_a_terminated_terminal_open()
    {
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        var rig = await SsmRig.StartAsync();
        try
        {
            var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
            _ = new OutputCollector(shell.Output);
            await Keys.TypeAsync(shell, $"setsid sleep {marker} &\n");
            await LocalProcesses.WaitForAsync($"sleep\0{marker}\0");

            // TerminateSession kills the shell's session; the detached sleep keeps the terminal open.
            await shell.DisposeAsync().AsTask().WaitAsync(Waits.Step);
            await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
            (await LocalProcesses.CountAsync($"sleep\0{marker}\0")).Should().Be(1, "the terminal is still held when the emulator stops");

            await rig.DisposeAsync().AsTask().WaitAsync(Waits.Step);
        }
        finally
        {
            await LocalProcesses.KillAsync($"sleep\0{marker}\0");
            await rig.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("AWS-StartNonInteractiveCommand")]
    [InlineData("Emulator-StartNonInteractiveCommandSeparateStreams")]
    public async Task The_emulator_stops_while_a_detached_process_still_holds_a_terminated_commands_output_open(string document)
    {
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        var rig = await SsmRig.StartAsync();
        try
        {
            var command = new TargetCommand.Argv(["/bin/sh", "-c", $"setsid sleep {marker} & wait"]);
            var process = await rig.StartCommandAsync(rig.Target(s => s with { CommandDocument = document }), command);
            await LocalProcesses.WaitForAsync($"sleep\0{marker}\0");

            await process.DisposeAsync().AsTask().WaitAsync(Waits.Step);
            await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);
            (await LocalProcesses.CountAsync($"sleep\0{marker}\0")).Should().Be(1, "the output pipe is still held when the emulator stops");

            await rig.DisposeAsync().AsTask().WaitAsync(Waits.Step);
        }
        finally
        {
            await LocalProcesses.KillAsync($"sleep\0{marker}\0");
            await rig.DisposeAsync();
        }
    }
}
