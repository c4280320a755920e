using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Ssm.Tests.Support;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>Commands through AWS-StartNonInteractiveCommand (and a document with separate streams).</summary>
public sealed class CommandTests : IAsyncLifetime
{
    private SsmRig _rig = null!;

    public async Task InitializeAsync() => _rig = await SsmRig.StartAsync();

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private async Task<(string Stdout, string Stderr, ProcessExit Exit)> RunAsync(TargetCommand command, Func<Broker.Ssm.Targets.SsmTargetSettings, Broker.Ssm.Targets.SsmTargetSettings>? configure = null)
    {
        var process = await _rig.StartCommandAsync(_rig.Target(configure), command);
        var stdout = new OutputCollector(process.Output);
        var stderr = new OutputCollector(process.ErrorOutput!);
        var exit = await process.Exited.WaitAsync(Waits.Step);
        await Task.WhenAll(stdout.Completed, stderr.Completed).WaitAsync(Waits.Step);
        return (stdout.Text, stderr.Text, exit);
    }

    [Fact]
    public async Task An_argv_runs_with_its_words_unchanged_and_reports_the_remote_exit_code()
    {
        var (stdout, _, exit) = await RunAsync(new TargetCommand.Argv(["sh", "-c", "printf '%s|' \"$@\"; exit 3", "sh", "it's", "$(not run)", "two words"]));

        stdout.Should().Be("it's|$(not run)|two words|");
        exit.Should().Be(new ProcessExit(3, 0));
        var call = _rig.Emulator.Calls.Single(c => c.Operation == "StartSession");
        call.Request.Should().Contain("AWS-StartNonInteractiveCommand");
    }

    [Fact]
    public async Task A_script_runs_with_bash_on_the_instance()
    {
        var (stdout, _, exit) = await RunAsync(new TargetCommand.Script("a=$((6*7)); echo \"answer $a\"; [[ -n $BASH_VERSION ]] && exit 0; exit 9"));

        stdout.Should().Be("answer 42\n");
        exit.Code.Should().Be(0);
    }

    [Fact]
    public async Task Standard_error_comes_merged_with_standard_output_as_the_document_sends_it()
    {
        var (stdout, stderr, exit) = await RunAsync(new TargetCommand.Script("echo out; echo err >&2; exit 1"));

        stdout.Should().Be("out\nerr\n");
        stderr.Should().BeEmpty();
        exit.Code.Should().Be(1);
    }

    [Fact]
    public async Task A_document_with_separate_streams_keeps_standard_error_apart()
    {
        var (stdout, stderr, exit) = await RunAsync(
            new TargetCommand.Script("echo out; echo err >&2; exit 5"),
            s => s with { CommandDocument = "Emulator-StartNonInteractiveCommandSeparateStreams" });

        stdout.Should().Be("out\n");
        stderr.Should().Be("err\n");
        exit.Code.Should().Be(5);
    }

    [Fact]
    public async Task A_program_that_does_not_exist_exits_127()
    {
        var (stdout, _, exit) = await RunAsync(new TargetCommand.Argv(["no-such-program-on-the-instance"]));

        exit.Code.Should().Be(127);
        stdout.Should().Contain("not found");
    }

    [Fact]
    public async Task An_empty_argv_is_refused_before_any_session_starts()
    {
        var result = await _rig.Target().StartCommandAsync(new CommandStart(new TargetCommand.Argv([]), new Dictionary<string, string>()), CancellationToken.None);

        result.ErrorExitCode.Should().Be(127);
        _rig.Emulator.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task A_command_has_no_standard_input_and_no_terminal()
    {
        var process = await _rig.StartCommandAsync(_rig.Target(), new TargetCommand.Argv(["true"]));

        (await process.WriteInputAsync(new byte[] { 1 }, CancellationToken.None).AsTask().WaitAsync(Waits.Step)).Should().BeFalse();
        process.Resize(80, 24).Should().BeFalse();
        await process.Exited.WaitAsync(Waits.Step);
    }

    [Fact]
    public async Task Ctrl_c_reaches_a_running_command_as_a_signal()
    {
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        var process = await _rig.StartCommandAsync(_rig.Target(s => s with { CommandDocument = "Emulator-StartNonInteractiveCommandSeparateStreams" }), new TargetCommand.Argv(["sleep", marker]));
        await LocalProcesses.WaitForAsync($"sleep\0{marker}\0");

        process.Signal(TargetSignal.Interrupt).Should().BeTrue();

        // The wrapper shell takes the interrupt with the command; the agent reports how its child ended.
        var exit = await process.Exited.WaitAsync(Waits.Step);
        exit.Code.Should().NotBe(0);
        (await LocalProcesses.CountAsync($"sleep\0{marker}\0")).Should().Be(0);
    }
}
