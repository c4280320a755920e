using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// Controls that cannot be enforced end the session (ControlFailed), with the reason told to the client and written to
/// the journal, and the journal sealed: a journal that faults, an output filter that cannot decide.
/// </summary>
public sealed class FailClosedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_journal_that_faults_ends_the_session_as_control_failed_with_the_reason_and_is_sealed()
    {
        var journal = new CapturingJournal();
        var session = await OpenShellAsync(journal, () => PassThroughFilter.Instance);
        var events = DrainAsync(session);

        journal.Fault(new IOException("the disk went away"));

        var seen = await events.WaitAsync(Timeout);
        var ended = seen[^1].Should().BeOfType<SessionEvent.Ended>().Which;
        ended.Reason.Should().Be(SessionEndReason.ControlFailed);
        seen.OfType<SessionEvent.Notice>().Should().Contain(n => n.Message.Contains("the session recording cannot be written (the disk went away)"));
        journal.Ended.Should().ContainSingle().Which.Reason.Should().Be(SessionEndReason.ControlFailed);
        journal.Notices.Should().Contain(n => n.Contains("the disk went away"));
        journal.Completed.Should().BeTrue("the journal is sealed");
    }

    [Fact]
    public async Task An_output_filter_that_cannot_decide_ends_the_session_and_no_output_gets_past_it()
    {
        var journal = new CapturingJournal();
        var session = await OpenShellAsync(journal, () => new UndecidingFilter());
        var events = DrainAsync(session);

        // The shell's prompt is the first output the filter is asked about; input makes more, should it be quiet.
        await session.SendInputAsync("echo out-$((6*7))\n"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Timeout);

        var seen = await events.WaitAsync(Timeout);
        seen[^1].Should().BeOfType<SessionEvent.Ended>().Which.Reason.Should().Be(SessionEndReason.ControlFailed);
        seen.OfType<SessionEvent.Notice>().Should().Contain(n => n.Message.Contains("output filtering failed (InvalidOperationException)"));
        seen.OfType<SessionEvent.Output>().Should().BeEmpty("nothing unfiltered is shown");
        journal.Output.Should().Be(0, "nothing unfiltered is recorded either");
        journal.Ended.Should().ContainSingle().Which.Reason.Should().Be(SessionEndReason.ControlFailed);
        journal.Completed.Should().BeTrue();
    }

    private static async Task<Session> OpenShellAsync(ISessionJournal journal, Func<IOutputFilter> filter)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var target = new LocalShellTarget(new LocalShellSettings { Name = "local", InteractiveArguments = ["--norc", "--noprofile"] }, FdEventLoop.Shared, ProcessContainment.BySessionId);
        var manager = new SessionManager([target], time);
        var opened = await manager.OpenTerminalAsync(
            new OpenRequest { Id = SessionIds.New(time), Owner = new SessionOwner("test", "agent"), Roles = ["agent"], Target = "local", Journal = journal, CreateFilter = filter },
            80,
            24,
            "xterm",
            null,
            CancellationToken.None).AsTask().WaitAsync(Timeout);
        return opened.Session!;
    }

    private static async Task<List<SessionEvent>> DrainAsync(Session session)
    {
        var events = new List<SessionEvent>();
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var item in session.Events.ReadAllAsync(timeout.Token))
        {
            events.Add(item);
        }

        return events;
    }

    /// <summary>A filter whose every decision fails, as a masker that hit a bug would.</summary>
    private sealed class UndecidingFilter : IOutputFilter
    {
        public TimeSpan HoldDelay => TimeSpan.FromMilliseconds(50);

        public bool HasHeldBytes => false;

        public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output) => throw new InvalidOperationException("cannot decide");

        public void FlushHeld(IOutputSink output)
        {
        }

        public void EndChannel(OutputChannel channel, IOutputSink output)
        {
        }

        public void Complete(IOutputSink output)
        {
        }
    }

    /// <summary>A journal that keeps what it is told and faults when the test says so.</summary>
    private sealed class CapturingJournal : ISessionJournal
    {
        private readonly TaskCompletionSource<Exception> _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private readonly List<SessionEvent.Ended> _ended = [];
        private readonly List<string> _notices = [];
        private long _output;
        private volatile bool _completed;

        public Task<Exception> Faulted => _faulted.Task;

        public IReadOnlyList<SessionEvent.Ended> Ended
        {
            get
            {
                lock (_gate)
                {
                    return [.. _ended];
                }
            }
        }

        public IReadOnlyList<string> Notices
        {
            get
            {
                lock (_gate)
                {
                    return [.. _notices];
                }
            }
        }

        public long Output => Interlocked.Read(ref _output);

        public bool Completed => _completed;

        public void Fault(Exception error) => _faulted.TrySetResult(error);

        public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Input(ReadOnlySpan<byte> data)
        {
        }

        void ISessionJournal.Output(OutputChannel channel, ReadOnlySpan<byte> data) => Interlocked.Add(ref _output, data.Length);

        public void Resize(int columns, int rows)
        {
        }

        public void Notice(NoticeKind kind, string message)
        {
            lock (_gate)
            {
                _notices.Add(message);
            }
        }

        void ISessionJournal.Ended(SessionEvent.Ended ended)
        {
            lock (_gate)
            {
                _ended.Add(ended);
            }
        }

        public Task CompleteAsync()
        {
            _completed = true;
            return Task.CompletedTask;
        }
    }
}
