using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

public sealed class SessionCallBindingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_handler_that_leaves_before_the_session_ended_abandons_it_even_if_the_call_was_never_aborted()
    {
        var (session, _) = await TestSessions.StartTerminalAsync(new SessionLimits());
        using var call = new CancellationTokenSource();

        new SessionCallBinding(session, call.Token).Dispose();

        await session.Completion.WaitAsync(Timeout);
        session.ExitStatus!.Reason.Should().Be(SessionEndReason.ClientClosed);
        call.IsCancellationRequested.Should().BeFalse();
        session.Dispose();
    }

    [Fact]
    public async Task An_aborted_call_abandons_its_session()
    {
        var (session, _) = await TestSessions.StartTerminalAsync(new SessionLimits());
        using var call = new CancellationTokenSource();
        using var binding = new SessionCallBinding(session, call.Token);

        await call.CancelAsync();

        await session.Completion.WaitAsync(Timeout);
        session.ExitStatus!.Reason.Should().Be(SessionEndReason.ClientClosed);
        session.Dispose();
    }

    [Fact]
    public async Task A_call_aborted_before_binding_abandons_the_session_at_once()
    {
        var (session, _) = await TestSessions.StartTerminalAsync(new SessionLimits());
        using var binding = new SessionCallBinding(session, new CancellationToken(canceled: true));

        await session.Completion.WaitAsync(Timeout);
        session.ExitStatus!.Reason.Should().Be(SessionEndReason.ClientClosed);
        session.Dispose();
    }

    [Fact]
    public async Task Leaving_after_the_session_ended_keeps_the_way_it_ended()
    {
        var (session, _) = await TestSessions.StartTerminalAsync(new SessionLimits());
        using var call = new CancellationTokenSource();
        var binding = new SessionCallBinding(session, call.Token);
        (await session.SendInputAsync("exit 4\n"u8.ToArray(), default)).Outcome.Should().Be(InputOutcome.Accepted);
        await DrainAsync(session);
        await session.Completion.WaitAsync(Timeout);

        binding.Dispose();
        await call.CancelAsync();

        session.ExitStatus!.Reason.Should().Be(SessionEndReason.Exited);
        session.ExitStatus.Code.Should().Be(4);
        session.Dispose();
    }

    private static async Task DrainAsync(Session session)
    {
        await foreach (var item in session.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            (item as SessionEvent.Output)?.Release();
        }
    }
}
