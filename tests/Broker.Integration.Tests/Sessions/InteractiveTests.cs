using System.Globalization;
using System.Text.RegularExpressions;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Sessions;

public sealed partial class InteractiveTests : IClassFixture<PermissiveBrokerFixture>
{
    private readonly BrokerFixture _broker;

    public InteractiveTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task Stty_reports_the_opening_size_and_then_the_resized_one()
    {
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token()), columns: 123, rows: 45);
        terminal.Opened!.Roles.Should().Contain("tester");
        await terminal.SendAsync("stty size\r");
        await terminal.WaitForOutputAsync("45 123");
        await terminal.ResizeAsync(132, 50);
        await terminal.SendAsync("stty size\r");
        await terminal.WaitForOutputAsync("50 132");
        await terminal.SendAsync("exit 4\r");
        await terminal.WaitForExitAsync();
        terminal.Exit!.Code.Should().Be(4);
        terminal.Exit.Reason.Should().Be(ExitReason.Exited);
    }

    [Fact]
    public async Task Ctrl_c_interrupts_a_running_program_and_the_shell_survives()
    {
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token()));
        // The interrupt is sent once sleep holds the terminal's foreground: sent to bash's line editor, or to bash
        // between forking sleep and handing it the terminal, it would not reach sleep.
        await terminal.SendAsync("echo started-$((6*7)); sleep 100; echo after-$((40+2))\r");
        await terminal.WaitForOutputAsync("started-42");
        await terminal.WaitUntilAsync(() => ProcessProbe.InForeground("sleep", "100"), "sleep 100 in the terminal's foreground");
        await terminal.SendAsync("\u0003");
        // Typed before the new prompt, the line would be the interrupted list's input: bash drops typeahead on SIGINT.
        await terminal.WaitForOutputAsync("@broker:~$ ", occurrences: 2);
        await terminal.SendAsync("echo alive-$((20+3))\r");
        await terminal.WaitForOutputAsync("alive-23");
        terminal.Output.Should().NotContain("after-42");
        await terminal.SendAsync("echo waiting-$((7*7)); sleep 200; echo late-$((50+5))\r");
        await terminal.WaitForOutputAsync("waiting-49");
        await terminal.WaitUntilAsync(() => ProcessProbe.InForeground("sleep", "200"), "sleep 200 in the terminal's foreground");
        await terminal.SendAsync(new InteractRequest { Signal = Signal.Interrupt });
        await terminal.WaitForOutputAsync("@broker:~$ ", occurrences: 4);
        await terminal.SendAsync("echo still-$((30+3))\r");
        await terminal.WaitForOutputAsync("still-33");
        terminal.Output.Should().NotContain("late-55");
    }

    [Fact]
    public async Task Sessions_that_end_while_the_client_still_sends_leave_the_connection_usable()
    {
        // A finished call must not leave a read pending on its request stream: the server reuses
        // that stream object for the next call on the same connection.
        using var channel = _broker.Channel(_broker.Token());
        var client = new SessionService.SessionServiceClient(channel);
        for (var i = 0; i < 5; i++)
        {
            await using var terminal = await TerminalClient.OpenAsync(client);
            await terminal.SendAsync($"exit {i}\r");
            await terminal.WaitForExitAsync();
            terminal.Exit!.Code.Should().Be(i);
        }
    }

    [Fact]
    public async Task Closing_the_client_kills_every_process_of_the_session()
    {
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token()));
        await terminal.SendAsync("sleep 300 & (sleep 301 &) ; echo pids:$$:$!:$((6*7))end\r");
        await terminal.WaitUntilAsync(() => PidsPattern().IsMatch(terminal.Output), "the pids");
        var match = PidsPattern().Match(terminal.Output);
        match.Success.Should().BeTrue();
        var shell = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var job = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        ProcessProbe.IsAlive(shell).Should().BeTrue();
        ProcessProbe.IsAlive(job).Should().BeTrue();
        var members = ProcessProbe.SessionMembers(shell);
        members.Should().Contain([shell, job]).And.HaveCountGreaterThanOrEqualTo(3, "the double-forked sleep belongs to the session too");
        var held = ProcessProbe.DescriptorsOfSession(shell);
        held.Should().Contain(d => d.Target == "/dev/ptmx", "the broker holds the session's PTY master")
            .And.Contain(d => d.Target.StartsWith("anon_inode:[pidfd]", StringComparison.Ordinal), "the broker watches the shell through a pidfd");

        terminal.Cancel();
        await terminal.DisposeAsync();

        foreach (var member in members)
        {
            await ProcessProbe.WaitGoneAsync(member);
        }

        ProcessProbe.SessionMembers(shell).Should().BeEmpty();
        await WaitForDescriptorsClosedAsync(held);
    }

    [Fact]
    public async Task Fifty_concurrent_sessions_each_see_only_their_own_output()
    {
        var sessions = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{i}")));
            await terminal.SendAsync($"echo marker-$((1000+{i}))-end\r");
            return terminal;
        }));
        try
        {
            for (var i = 0; i < sessions.Length; i++)
            {
                await sessions[i].WaitForOutputAsync($"marker-{1000 + i}-end");
            }

            for (var i = 0; i < sessions.Length; i++)
            {
                var others = MarkerPattern().Matches(sessions[i].Output).Select(m => m.Value).Distinct().ToList();
                others.Should().Equal([$"marker-{1000 + i}-end"]);
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_zero_resize_is_rejected_with_a_notice_and_the_session_goes_on()
    {
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token()));
        await terminal.ResizeAsync(0, 0);
        await terminal.ResizeAsync(100000, 5);
        await terminal.SendAsync(new InteractRequest { Input = Google.Protobuf.ByteString.CopyFrom(new byte[100 * 1024]) });
        await terminal.WaitUntilAsync(() => terminal.Notices.Count(n => n.Kind == NoticeKind.FrameRejected) >= 3, "three rejection notices");
        var rejections = terminal.Notices.Where(n => n.Kind == NoticeKind.FrameRejected).ToList();
        rejections.Should().OnlyContain(n => n.Message.StartsWith("INVALID_ARGUMENT", StringComparison.Ordinal));
        rejections.Select(n => n.Message).Should().Contain(m => m.Contains("0x0", StringComparison.Ordinal));
        await terminal.SendAsync("echo fine-$((2*21))\r");
        await terminal.WaitForOutputAsync("fine-42");
    }

    [Fact]
    public async Task A_first_frame_that_is_not_open_is_invalid()
    {
        using var call = _broker.Client(_broker.Token()).Interact();
        await call.RequestStream.WriteAsync(new InteractRequest { Input = Google.Protobuf.ByteString.CopyFromUtf8("ls\r") });
        var act = async () => await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain("'open'").And.Contain("'input'");
    }

    [Fact]
    public async Task Opening_with_an_absurd_size_is_invalid()
    {
        var act = () => TerminalClient.OpenAsync(_broker.Client(_broker.Token()), columns: 0, rows: 24);
        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task The_per_identity_session_cap_is_enforced()
    {
        var token = _broker.Token("capped-agent");
        var open = new List<TerminalClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                open.Add(await TerminalClient.OpenAsync(_broker.Client(token)));
            }

            var act = () => TerminalClient.OpenAsync(_broker.Client(token));
            var error = (await act.Should().ThrowAsync<RpcException>()).Which;
            error.StatusCode.Should().Be(StatusCode.ResourceExhausted);
            error.Status.Detail.Should().Contain("limit is 4");
        }
        finally
        {
            foreach (var terminal in open)
            {
                await terminal.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Sessions_are_listed_for_their_owner_and_terminated_by_an_operator()
    {
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("listed-agent")));
        var id = terminal.Opened!.SessionId;
        var mine = await _broker.Client(_broker.Token("listed-agent")).ListSessionsAsync(new ListSessionsRequest());
        mine.Sessions.Select(s => s.SessionId).Should().Contain(id);
        var stranger = await _broker.Client(_broker.Token("someone-else")).ListSessionsAsync(new ListSessionsRequest());
        stranger.Sessions.Select(s => s.SessionId).Should().NotContain(id);
        var hidden = async () => await _broker.Client(_broker.Token("someone-else")).GetSessionAsync(new GetSessionRequest { SessionId = id });
        (await hidden.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);

        var operatorClient = _broker.Client(_broker.Token("on-call", "operators"));
        var terminated = await operatorClient.TerminateSessionAsync(new TerminateSessionRequest { SessionId = id, Reason = "drill" });
        terminated.Session.State.Should().Be(SessionState.Ended);
        await terminal.WaitForExitAsync();
        terminal.Exit!.Reason.Should().Be(ExitReason.Terminated);
        terminal.Notices.Should().Contain(n => n.Kind == NoticeKind.SessionEnding && n.Message.Contains("drill", StringComparison.Ordinal));
    }

    private static async Task WaitForDescriptorsClosedAsync(IReadOnlyList<HeldDescriptor> held)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (ProcessProbe.StillOpen(held).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                ProcessProbe.StillOpen(held).Should().BeEmpty("the session's PTY and pidfd must be closed");
            }

            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"pids:(\d+):(\d+):42end")]
    private static partial Regex PidsPattern();

    [GeneratedRegex(@"marker-\d{4}-end")]
    private static partial Regex MarkerPattern();
}
