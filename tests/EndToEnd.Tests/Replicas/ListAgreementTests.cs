using Broker.Protocol.V1;
using Broker.TestSupport;
using Grpc.Core;
using Grpc.Net.Client;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Three replicas list and describe every session alike, whichever holds it: an interactive session on A (resized while
/// it runs), an exec session running on B and one that ended on C are listed through A, B and C identically, field by
/// field (kind, roles, terminal size, exit, holder), and <c>sessions list --all</c> prints the same lines through each;
/// the recording of A's running session is described and streamed through B, which has no copy of it.
/// </summary>
public sealed class ListAgreementTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("list-e2e-");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(4));

    private CancellationToken Ct => _timeout.Token;

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task Every_replica_lists_running_and_ended_sessions_of_every_replica_identically_field_by_field()
    {
        var (a, b, c) = await StartAsync();
        var op = await a.TokenAsync("op-lists", "operators");
        var go = _scratch.File("go");
        using var terminal = await InteractiveSession.OpenAsync(a, await a.TokenAsync("agent-shell"), Ct);
        var running = b.ClientAsync(await b.TokenAsync("agent-exec"), null, ["exec", "--target", "local", "--script", $"while [ ! -e {go} ]; do sleep 0.1; done"], timeoutSeconds: 240);
        var (code, _, stderr) = await c.ClientAsync(await c.TokenAsync("agent-done"), null, "exec", "--target", "local", "--", "true");
        code.Should().Be(0, stderr);
        await terminal.ResizeAsync(132, 43, Ct);

        // Another replica's row changes at its holder's heartbeat: poll until the three lists are the same and complete.
        ListSessionsResponse[] lists = [];
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                lists = await Task.WhenAll(ListAsync(a, op), ListAsync(b, op), ListAsync(c, op));
                return lists.All(l => l.Sessions.Count == 3 && l.Equals(lists[0]))
                    && lists[0].Sessions.Any(s => s.SessionId == terminal.SessionId && s.Size?.Columns == 132);
            },
            "A, B and C list the same three sessions, the resize included");

        var sessions = lists[0].Sessions;
        var shell = sessions.Single(s => s.SessionId == terminal.SessionId);
        shell.ReplicaId.Should().Be("replica-a");
        shell.Kind.Should().Be(SessionKind.Interactive);
        shell.State.Should().Be(SessionState.Running);
        shell.Roles.Should().Equal(terminal.Roles).And.NotBeEmpty();
        shell.Size.Should().Be(new TerminalSize { Columns = 132, Rows = 43 });
        var exec = sessions.Single(s => s.Subject == "agent-exec");
        (exec.ReplicaId, exec.Kind, exec.State).Should().Be(("replica-b", SessionKind.Exec, SessionState.Running));
        exec.Roles.Should().NotBeEmpty();
        var done = sessions.Single(s => s.Subject == "agent-done");
        (done.ReplicaId, done.Kind, done.State, done.Exit?.Code, done.Exit?.Reason).Should().Be(("replica-c", SessionKind.Exec, SessionState.Ended, 0, ExitReason.Exited));
        done.EndedAt.Should().NotBeNull();

        string[] printed = [];
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                printed = [.. (await Task.WhenAll(a.ClientAsync(op, null, "sessions", "list", "--all"), b.ClientAsync(op, null, "sessions", "list", "--all"), c.ClientAsync(op, null, "sessions", "list", "--all")))
                    .Select(r => r.Code == 0 ? r.Stdout : string.Empty)];
                return printed[0].Length > 0 && printed.All(p => p == printed[0]);
            },
            "sessions list --all prints the same through A, B and C");
        printed[0].Should().Contain("interactive").And.Contain("replica-b").And.Contain("replica-c");

        File.WriteAllText(go, string.Empty);
        (code, _, stderr) = await running;
        code.Should().Be(0, stderr);
    }

    [Fact]
    public async Task The_recording_of_a_session_running_on_A_is_described_and_streamed_through_B()
    {
        var (a, b, _) = await StartAsync();
        var observer = await b.TokenAsync("observer-rec", "observers");
        using var terminal = await InteractiveSession.OpenAsync(a, await a.TokenAsync("agent-rec"), Ct);
        await terminal.ResizeAsync(91, 37, Ct);
        using var channel = GrpcChannel.ForAddress(b.Url);
        var recordings = new RecordingService.RecordingServiceClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + observer } };
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Contains(terminal.SessionId), "the registry says A holds the session");

        var described = await recordings.GetRecordingAsync(new GetRecordingRequest { SessionId = terminal.SessionId }, headers, cancellationToken: Ct);
        described.Recording.SessionId.Should().Be(terminal.SessionId);
        described.Recording.State.Should().Be(RecordingState.Running, "A, which holds the session, answered");
        described.Roles.Should().Equal(terminal.Roles);
        described.Size.Should().Be(new TerminalSize { Columns = 100, Rows = 30 });

        // The resize is in A's recording once A has written it; B streams what A has so far.
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                using var stream = recordings.StreamRecording(new StreamRecordingRequest { SessionId = terminal.SessionId }, headers, cancellationToken: Ct);
                var events = new List<RecordingEvent>();
                await foreach (var response in stream.ResponseStream.ReadAllAsync(Ct))
                {
                    events.Add(response.Event);
                }

                return events.Any(e => e.Resize is { Columns: 91, Rows: 37 });
            },
            "B streams A's recording, the resize included");
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }

    private static async Task<ListSessionsResponse> ListAsync(BrokerProcess replica, string token)
    {
        using var channel = GrpcChannel.ForAddress(replica.Url);
        return await new SessionService.SessionServiceClient(channel).ListSessionsAsync(
            new ListSessionsRequest { IncludeEnded = true }, new Metadata { { "authorization", "Bearer " + token } }, deadline: DateTime.UtcNow.AddMinutes(1));
    }

    private async Task<(BrokerProcess A, BrokerProcess B, BrokerProcess C)> StartAsync()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromMinutes(1));
        var c = _cluster.Replica("replica-c", Heartbeat, TimeSpan.FromMinutes(1));
        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync(), c.InitializeAsync());
        return (a, b, c);
    }
}
