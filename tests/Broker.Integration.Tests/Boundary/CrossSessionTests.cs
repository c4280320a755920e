using System.Globalization;
using System.Text.RegularExpressions;
using Broker.Core.Native;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// One session cannot reach another's terminal, environment, processes or private files, and no session can push
/// input into a terminal with TIOCSTI, not even its own: the attacks of issue 12, run through real sessions whose
/// policy lets them run anything.
/// </summary>
public sealed partial class CrossSessionTests : IClassFixture<BoundaryBrokerFixture>
{
    private readonly BoundaryBrokerFixture _broker;

    public CrossSessionTests(BoundaryBrokerFixture broker) => _broker = broker;

    [SkippableFact]
    public async Task Another_sessions_terminal_cannot_be_read_written_or_pushed_into()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var marker = Path.Combine(Path.GetTempPath(), $"tiocsti-{Guid.NewGuid():n}");
        await using var victim = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"victim-{Guid.NewGuid():n}")));
        var (tty, uid) = await IdentifyAsync(victim);
        var slave = FileStatus.Of(tty)!.Value;
        slave.Uid.Should().Be(uid, "the terminal belongs to the session's account, as login does it");
        slave.Permissions.Should().Be(Convert.ToUInt32("600", 8));

        // The victim waits for a line it has not been given yet: that unread input is what an attacker would steal.
        await victim.SendAsync("read -r line; echo got:$line\r");
        await victim.WaitForOutputAsync("read -r line");
        var (output, _) = await Attack.RunAsync(_broker,
            $"timeout 3 cat {tty}; echo INJECTED-WRITE > {tty}; {Attack.Tiocsti(tty, $"touch {marker}\\n")}");
        await victim.SendAsync("private-input-4711\r");
        await victim.WaitForOutputAsync("got:private-input-4711");
        await victim.SendAsync("echo victim-still-works\r");
        await victim.WaitForOutputAsync("victim-still-works", occurrences: 2);

        output.Should().NotContain("private-input-4711").And.NotContain("PUSHED");
        victim.Output.Should().NotContain("INJECTED-WRITE");
        File.Exists(marker).Should().BeFalse("nothing was pushed into the victim's terminal");

        // The control: from the broker's own account the write lands.
        await Attack.RunAsync(_broker, $"echo INJECTED-CONTROL > {tty}", target: "unconfined");
        await victim.WaitForOutputAsync("INJECTED-CONTROL");
    }

    [SkippableFact]
    public async Task Another_sessions_environment_processes_and_private_files_are_out_of_reach()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var secret = $"secret-{Guid.NewGuid():n}";
        await using var victim = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"victim-{Guid.NewGuid():n}")));
        await victim.SendAsync($"echo {secret} > \"$TMPDIR/private\"; echo {secret} > ~/private; echo home=$HOME tmp=$TMPDIR pid=$$\r");
        await victim.WaitUntilAsync(() => VictimPattern().IsMatch(victim.Output), "the victim's home, TMPDIR and pid");
        var match = VictimPattern().Match(victim.Output);
        var (home, tmp, pid) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
        var environ = await File.ReadAllTextAsync($"/proc/{pid}/environ");

        var (output, _) = await Attack.RunAsync(_broker,
            $"tr '\\0' '\\n' < /proc/{pid}/environ; grep -a -r --include='env*' . /proc/{pid}/; ls -l /proc/{pid}/cwd/ /proc/{pid}/fd/; "
            + $"cat {tmp}/private {home}/private; ls -la {home} {tmp}; kill -KILL {pid}; kill -KILL -{pid}");

        output.Should().NotContain(secret);
        output.Should().NotContain("TMPDIR=" + tmp).And.NotContain("HOME=" + home, "the victim's environment stays its own");
        environ.Should().Contain("TMPDIR=" + tmp, "the check above looked for what the environment really holds");
        await victim.SendAsync("echo victim-alive\r");
        await victim.WaitForOutputAsync("victim-alive", occurrences: 2);
    }

    [SkippableFact]
    public async Task No_session_can_push_input_into_its_own_terminal()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var marker = Path.Combine(Path.GetTempPath(), $"tiocsti-self-{Guid.NewGuid():n}");
        foreach (var target in new[] { "local", "unconfined" })
        {
            await using var session = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"pusher-{Guid.NewGuid():n}")), target: target);
            // In a line-mode session the pushed line would reach bash without the broker deciding it.
            await session.SendAsync($"{Attack.Tiocsti("/dev/tty", $"touch {marker}\\n")}; echo pushed-done\r");
            await session.WaitForOutputAsync("pushed-done", occurrences: 2);
            await session.SendAsync("echo after-push\r");
            await session.WaitForOutputAsync("after-push", occurrences: 2);

            session.Output.Should().Contain("TIOCSTI: Operation not permitted");
            File.Exists(marker).Should().BeFalse("the seccomp filter of {0} sessions refuses TIOCSTI", target);
        }
    }

    [SkippableFact]
    public async Task The_tiocsti_attack_pushes_input_where_nothing_refuses_it()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        Skip.If(Broker.Core.Processes.KernelSettings.RefusesTiocsti, "this kernel refuses TIOCSTI itself (dev.tty.legacy_tiocsti = 0)");
        // The control, outside the broker: a terminal made by script(1), where the same program does push its line.
        var (code, output) = await RunAsync("script", ["-qec", $"{Attack.Tiocsti("/dev/tty", "pushed-line\\n")}; read -r l; echo got:$l", "/dev/null"]);

        output.Should().Contain("PUSHED").And.Contain("got:pushed-line");
        code.Should().Be(0);
    }

    [SkippableFact]
    public async Task Concurrent_sessions_run_as_different_accounts_even_for_one_identity()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var token = _broker.Token($"same-{Guid.NewGuid():n}");
        await using var first = await TerminalClient.OpenAsync(_broker.Client(token));
        await using var second = await TerminalClient.OpenAsync(_broker.Client(token));
        var (_, one) = await IdentifyAsync(first);
        var (_, two) = await IdentifyAsync(second);

        one.Should().NotBe(two);
        one.Should().NotBe(0u).And.NotBe(Broker.Core.Accounts.AccountPrivileges.BrokerUid);
    }

    private static async Task<(string Tty, uint Uid)> IdentifyAsync(TerminalClient terminal)
    {
        await terminal.SendAsync("echo tty=$(tty) uid=$(id -u)\r");
        await terminal.WaitUntilAsync(() => TtyPattern().IsMatch(terminal.Output), "tty and uid");
        var match = TtyPattern().Match(terminal.Output);
        return (match.Groups[1].Value, uint.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        })!;
        // Standard input stays open until the program ends: script(1) would pass its end on as a ^D.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        process.StandardInput.Close();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"tty=(/dev/pts/\d+) uid=(\d+)")]
    private static partial Regex TtyPattern();

    [GeneratedRegex(@"home=(/\S+) tmp=(/\S+) pid=(\d+)")]
    private static partial Regex VictimPattern();
}
