using Broker.Core.Sessions;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Sessions;

/// <summary>
/// A client that floods its session with frames the broker rejects and never reads the notices: the notices waiting
/// for it stay bounded, and once it reads again it is told how many it missed.
/// </summary>
public sealed class RejectedFrameFloodTests : IClassFixture<PermissiveBrokerFixture>
{
    private const int Frames = 30_000;
    private readonly PermissiveBrokerFixture _broker;

    public RejectedFrameFloodTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_flood_of_rejected_frames_from_a_client_that_does_not_read_leaves_the_waiting_notices_bounded()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        using var call = _broker.Client(_broker.Token("flooding-agent")).Exec(cancellationToken: cts.Token);
        var start = new ExecStart { Target = "local", Argv = new Argv() };
        start.Argv.Args.Add("cat");
        await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cts.Token);
        var sessionId = string.Empty;
        while (sessionId.Length == 0 && await call.ResponseStream.MoveNext(cts.Token))
        {
            sessionId = call.ResponseStream.Current.Opened?.SessionId ?? string.Empty;
        }

        var session = _broker.Services.GetRequiredService<SessionManager>().Registry.Find(sessionId);
        session.Should().NotBeNull();

        // Every repeated 'start' is rejected with a notice; the client reads none of them.
        for (var i = 0; i < Frames; i++)
        {
            await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cts.Token);
        }

        while (session!.DroppedEvents == 0 && session.ParkedEvents < Session.MaxParkedEvents)
        {
            // The broker takes the frames in as they come; the notices back up behind the unread stream.
            await Task.Delay(20, cts.Token);
        }

        session.ParkedEvents.Should().BeLessThanOrEqualTo(Session.MaxParkedEvents);

        await call.RequestStream.WriteAsync(new ExecRequest { EndOfInput = new EndOfInput() }, cts.Token);
        await call.RequestStream.CompleteAsync();
        var rejected = 0;
        var missed = 0;
        ExitStatus? exit = null;
        await foreach (var frame in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (frame.Notice is { } notice && notice.Message.Contains("the command has already started", StringComparison.Ordinal))
            {
                rejected++;
            }
            else if (frame.Notice is { } summary && summary.Message.Contains("were not delivered", StringComparison.Ordinal))
            {
                // One summary each time the client caught up after some were dropped.
                missed += int.Parse(summary.Message.AsSpan(0, summary.Message.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            }

            exit ??= frame.Exit;
        }

        exit!.Code.Should().Be(0);
        rejected.Should().BeLessThan(Frames, "the notices the client did not read were not all kept for it");
        missed.Should().Be(Frames - rejected, "every rejected frame's notice was either delivered or counted as missed");
    }
}
