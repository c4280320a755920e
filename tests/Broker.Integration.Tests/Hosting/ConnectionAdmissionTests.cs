using Broker.Server.Hosting;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// The admission's bookkeeping on its own, with connections that stay open until the test ends them: a call on a
/// connection already closed as unauthenticated is never let through, so a client whose first call failed that way
/// can retry knowing nothing ran.
/// </summary>
public sealed class ConnectionAdmissionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_call_whose_connection_was_evicted_by_the_cap_is_not_authenticated_and_the_newer_ones_are()
    {
        var clock = new FakeTimeProvider();
        using var admission = new ConnectionAdmission(Budget(maxUnauthenticated: 2), clock, NullLogger<ConnectionAdmission>.Instance);
        await using var connections = new OpenConnections(admission);

        var oldest = await connections.OpenAsync();
        var middle = await connections.OpenAsync();
        var newest = await connections.OpenAsync();

        admission.Evicted.Should().Be(1);
        oldest.WasAborted.Should().BeTrue("the cap closes the oldest unauthenticated connection");
        admission.Authenticated(oldest.ConnectionId).Should().BeFalse("its call's token was checked after the connection was closed");
        admission.Authenticated(middle.ConnectionId).Should().BeTrue();
        admission.Authenticated(newest.ConnectionId).Should().BeTrue();
        admission.Unauthenticated.Should().Be(0);
    }

    [Fact]
    public async Task A_call_whose_connection_outlived_the_timeout_is_not_authenticated_and_a_second_call_on_an_authenticated_one_is()
    {
        var clock = new FakeTimeProvider();
        using var admission = new ConnectionAdmission(Budget(maxUnauthenticated: 8), clock, NullLogger<ConnectionAdmission>.Instance);
        await using var connections = new OpenConnections(admission);

        var early = await connections.OpenAsync();
        var late = await connections.OpenAsync();
        admission.Authenticated(late.ConnectionId).Should().BeTrue();

        clock.Advance(TimeSpan.FromSeconds(2));

        admission.TimedOut.Should().Be(1);
        admission.Authenticated(early.ConnectionId).Should().BeFalse();
        admission.Authenticated(late.ConnectionId).Should().BeTrue("an authenticated connection is never closed by the timeout");
    }

    [Fact]
    public async Task A_closed_connection_is_forgotten_once_it_has_ended()
    {
        var clock = new FakeTimeProvider();
        using var admission = new ConnectionAdmission(Budget(maxUnauthenticated: 1), clock, NullLogger<ConnectionAdmission>.Instance);
        await using var connections = new OpenConnections(admission);

        var first = await connections.OpenAsync();
        await connections.OpenAsync();
        admission.Authenticated(first.ConnectionId).Should().BeFalse();

        await connections.EndAsync(first);

        // Its id is no longer kept: a later connection that happened to reuse it is not refused for it.
        admission.Authenticated(first.ConnectionId).Should().BeTrue();
    }

    private static ConnectionBudget Budget(int maxUnauthenticated) =>
        new(DescriptorLimit: 65536, Reserve: 64, MaxConnections: 100, MaxUnauthenticated: maxUnauthenticated,
            UnauthenticatedTimeout: TimeSpan.FromSeconds(2), MaxStreamsPerConnection: 100, RequestHeadersTimeout: TimeSpan.FromSeconds(30));

    /// <summary>Connections run through the admission's middleware, each held open until ended.</summary>
    private sealed class OpenConnections(ConnectionAdmission admission) : IAsyncDisposable
    {
        private readonly List<(TestConnection Context, TaskCompletionSource Entered, TaskCompletionSource End, Task Run)> _open = [];
        private int _next;

        public async Task<TestConnection> OpenAsync()
        {
            var context = new TestConnection($"connection-{_next++}");
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var end = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = admission.Middleware(_ =>
            {
                entered.SetResult();
                return end.Task;
            })(context);
            _open.Add((context, entered, end, run));
            await entered.Task.WaitAsync(Wait);
            return context;
        }

        public async Task EndAsync(TestConnection context)
        {
            var open = _open.Single(o => ReferenceEquals(o.Context, context));
            open.End.TrySetResult();
            await open.Run.WaitAsync(Wait);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var open in _open)
            {
                open.End.TrySetResult();
                await open.Run.WaitAsync(Wait);
            }
        }
    }

    /// <summary>A connection with nothing behind it that records whether the admission aborted it.</summary>
    private sealed class TestConnection(string id) : ConnectionContext
    {
        public bool WasAborted { get; private set; }

        public override string ConnectionId { get; set; } = id;

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; } = null!;

        public override void Abort(ConnectionAbortedException abortReason) => WasAborted = true;
    }
}
