using System.Text;
using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Targets;

namespace Broker.Core.Tests.Targets;

public sealed class LocalShellTargetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static LocalShellTarget NewTarget() =>
        new(new LocalShellSettings { Name = "local", InteractiveArguments = ["--norc", "--noprofile"] }, FdEventLoop.Shared, ProcessContainment.BySessionId);

    [Fact]
    public async Task Terminal_reports_the_size_it_was_opened_with_and_after_a_resize()
    {
        var started = await NewTarget().StartTerminalAsync(new TerminalStart(101, 37, "xterm", new Dictionary<string, string>()), default);
        await using var process = started.Process!;
        var output = new OutputCollector(process.Output);

        await process.WriteInputAsync("stty size\n"u8.ToArray(), default);
        await output.WaitForAsync("37 101", Timeout);
        process.Resize(120, 40).Should().BeTrue();
        await process.WriteInputAsync("stty size; exit 3\n"u8.ToArray(), default);
        await output.WaitForAsync("40 120", Timeout);

        var exit = await process.Exited.WaitAsync(Timeout);
        exit.Should().Be(new ProcessExit(3, 0));
    }

    [Fact]
    public async Task Command_keeps_stdout_and_stderr_apart_and_receives_stdin()
    {
        var started = await NewTarget().StartCommandAsync(
            new CommandStart(new TargetCommand.Script("read line; echo out:$line; echo err:$line >&2; exit 7"), new Dictionary<string, string>()), default);
        await using var process = started.Process!;
        var stdout = new OutputCollector(process.Output);
        var stderr = new OutputCollector(process.ErrorOutput!);

        await process.WriteInputAsync("hello\n"u8.ToArray(), default);
        await process.CompleteInputAsync(default);

        (await process.Exited.WaitAsync(Timeout)).Code.Should().Be(7);
        await Task.WhenAll(stdout.Completion, stderr.Completion).WaitAsync(Timeout);
        stdout.Text.Should().Be("out:hello\n");
        stderr.Text.Should().Be("err:hello\n");
    }

    [Fact]
    public async Task Argv_command_runs_without_a_shell()
    {
        var started = await NewTarget().StartCommandAsync(
            new CommandStart(new TargetCommand.Argv(["printf", "%s|", "$(id)", "a b"]), new Dictionary<string, string>()), default);
        await using var process = started.Process!;
        var stdout = new OutputCollector(process.Output);
        (await process.Exited.WaitAsync(Timeout)).Code.Should().Be(0);
        await stdout.Completion.WaitAsync(Timeout);
        stdout.Text.Should().Be("$(id)|a b|");
    }

    [Fact]
    public async Task Unknown_program_fails_to_start_with_127()
    {
        var started = await NewTarget().StartCommandAsync(
            new CommandStart(new TargetCommand.Argv(["no-such-program-xyz"]), new Dictionary<string, string>()), default);
        started.Process.Should().BeNull();
        started.ErrorExitCode.Should().Be(127);
        started.Error.Should().Contain("no-such-program-xyz");
    }

    [Fact]
    public async Task Killing_the_session_leaves_no_process_of_it_behind()
    {
        var started = await NewTarget().StartTerminalAsync(new TerminalStart(80, 24, "xterm", new Dictionary<string, string>()), default);
        var process = started.Process!;
        var output = new OutputCollector(process.Output);
        await process.WriteInputAsync("sleep 300 & sleep 301 & (sleep 302 &) ; echo started-$((6*7))\n"u8.ToArray(), default);
        await output.WaitForAsync("started-42", Timeout);
        var leader = ((PtyTerminalProcess)process).LeaderProcessId;
        SessionKiller.FindMembers(leader).Should().HaveCountGreaterThanOrEqualTo(3);

        await process.DisposeAsync().AsTask().WaitAsync(Timeout);

        // Every member was sent SIGKILL; on a loaded machine the kernel may still be tearing some down. One that
        // escaped the kill would outlive this wait by minutes (sleep 300).
        using var gone = new CancellationTokenSource(Timeout);
        while (SessionKiller.FindMembers(leader).Count != 0)
        {
            await Task.Delay(10, gone.Token);
        }

        (await process.Exited.WaitAsync(Timeout)).Signal.Should().Be(9);
    }

    [Fact]
    public async Task Binary_output_arrives_byte_exact()
    {
        var started = await NewTarget().StartCommandAsync(
            new CommandStart(new TargetCommand.Script("head -c 1048576 /dev/urandom | tee /tmp/broker-core-test-$$ | cat; cat /tmp/broker-core-test-$$ >&2; rm /tmp/broker-core-test-$$"), new Dictionary<string, string>()), default);
        await using var process = started.Process!;
        var stdout = new OutputCollector(process.Output);
        var stderr = new OutputCollector(process.ErrorOutput!);
        (await process.Exited.WaitAsync(Timeout)).Code.Should().Be(0);
        await Task.WhenAll(stdout.Completion, stderr.Completion).WaitAsync(Timeout);
        stdout.Bytes.Should().HaveCount(1048576);
        stdout.Bytes.Should().Equal(stderr.Bytes);
    }
}
