using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Recording;

/// <summary>Observers watch sessions read-only: from the start or from now, then live, with nothing missing.</summary>
public sealed class AttachTests : IClassFixture<PermissiveBrokerFixture>
{
    private readonly PermissiveBrokerFixture _broker;

    public AttachTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_observer_joining_late_from_the_start_sees_exactly_what_the_agent_saw()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var agent = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("late-watched")));
        await agent.SendAsync("echo first-$((40+2)); seq 1 5000\n");
        await agent.WaitForOutputAsync("first-42");
        await agent.WaitForOutputAsync("\n5000");

        var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("watcher", "observers")), agent.Opened!.SessionId, fromStart: true, cts.Token);
        using (call)
        {
            observed.Started!.Live.Should().BeTrue();
            await agent.SendAsync("echo second-$((40+3)); exit 3\n");
            await agent.WaitForExitAsync();
            await observed.ReadToEndAsync(call, cts.Token);
        }

        observed.Gaps.Should().BeEmpty();
        observed.Output.Should().Equal(agent.OutputBytes);
        observed.Events.Select(e => e.Index).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        observed.Events.Where(e => e.EventCase == RecordingEvent.EventOneofCase.Input).SelectMany(e => e.Input.ToByteArray())
            .Should().Equal(Encoding.UTF8.GetBytes("echo first-$((40+2)); seq 1 5000\necho second-$((40+3)); exit 3\n"));
        observed.Events.Last().Exit.Code.Should().Be(3);
    }

    [Fact]
    public async Task An_observer_from_now_sees_only_what_follows_and_it_is_the_end_of_the_agents_output()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var agent = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("now-watched")));
        await agent.SendAsync("echo before-$((1+1))\n");
        await agent.WaitForOutputAsync("before-2");

        var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("operator", "operators")), agent.Opened!.SessionId, fromStart: false, cts.Token);
        using (call)
        {
            await agent.SendAsync("echo after-$((2+2)); exit\n");
            await agent.WaitForExitAsync();
            await observed.ReadToEndAsync(call, cts.Token);
        }

        var seen = Encoding.UTF8.GetString(observed.Output);
        seen.Should().Contain("after-4").And.NotContain("before-2");
        agent.Output.Should().EndWith(seen);
        observed.Events.First().Index.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Attaching_to_an_ended_session_returns_the_whole_recording_then_ends()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("ended-watched")), "printf 'done-%s' 7");

        var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("watcher", "observers")), result.SessionId, fromStart: false, cts.Token);
        using (call)
        {
            await observed.ReadToEndAsync(call, cts.Token);
        }

        observed.Started!.Live.Should().BeFalse();
        Encoding.UTF8.GetString(observed.Output).Should().Be("done-7");
        observed.Events.Should().Contain(e => e.EventCase == RecordingEvent.EventOneofCase.Command && e.Command.Decision == "allow");
        observed.Events.Last().EventCase.Should().Be(RecordingEvent.EventOneofCase.Exit);
    }

    [Fact]
    public async Task A_caller_outside_the_observer_and_operator_groups_is_refused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var agent = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("refused-watched")));
        var outsider = _broker.Recordings(_broker.Token("curious-agent", "shell-users"));

        var attach = async () =>
        {
            using var call = outsider.Attach(new AttachRequest { SessionId = agent.Opened!.SessionId, FromStart = true }, cancellationToken: cts.Token);
            await call.ResponseStream.MoveNext(cts.Token);
        };
        (await attach.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        var list = async () => await outsider.ListRecordingsAsync(new ListRecordingsRequest(), cancellationToken: cts.Token);
        (await list.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        var get = async () => await outsider.GetRecordingAsync(new GetRecordingRequest { SessionId = agent.Opened!.SessionId }, cancellationToken: cts.Token);
        (await get.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        await agent.SendAsync("exit\n");
        await agent.WaitForExitAsync();
    }

    [Fact]
    public async Task Attaching_to_an_unknown_session_is_not_found()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var attach = async () =>
        {
            using var call = _broker.Recordings(_broker.Token("watcher", "observers")).Attach(new AttachRequest { SessionId = "no-such-session" }, cancellationToken: cts.Token);
            await call.ResponseStream.MoveNext(cts.Token);
        };
        (await attach.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);
    }
}
