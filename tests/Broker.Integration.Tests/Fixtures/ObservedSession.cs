using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>Everything an observer received from Attach.</summary>
public sealed class ObservedSession
{
    public AttachStarted? Started { get; private set; }

    public List<RecordingEvent> Events { get; } = [];

    public List<AttachGap> Gaps { get; } = [];

    /// <summary>The output bytes, in order, as the observer would render them.</summary>
    public byte[] Output => [.. Events.Where(e => e.EventCase == RecordingEvent.EventOneofCase.Output).SelectMany(e => e.Output.Data.ToByteArray())];

    /// <summary>Starts watching and returns once the broker confirmed it (the first frame).</summary>
    public static async Task<(ObservedSession Session, AsyncServerStreamingCall<AttachResponse> Call)> AttachAsync(
        RecordingService.RecordingServiceClient client, string sessionId, bool fromStart, CancellationToken cancellationToken)
    {
        var call = client.Attach(new AttachRequest { SessionId = sessionId, FromStart = fromStart }, cancellationToken: cancellationToken);
        var observed = new ObservedSession();
        if (!await call.ResponseStream.MoveNext(cancellationToken))
        {
            throw new InvalidOperationException("attach ended before its first frame");
        }

        observed.Add(call.ResponseStream.Current);
        return (observed, call);
    }

    /// <summary>Reads the rest of the stream until the broker ends it.</summary>
    public async Task ReadToEndAsync(AsyncServerStreamingCall<AttachResponse> call, CancellationToken cancellationToken)
    {
        await foreach (var frame in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            Add(frame);
        }
    }

    private void Add(AttachResponse frame)
    {
        switch (frame.FrameCase)
        {
            case AttachResponse.FrameOneofCase.Started: Started = frame.Started; break;
            case AttachResponse.FrameOneofCase.Event: Events.Add(frame.Event); break;
            case AttachResponse.FrameOneofCase.Gap: Gaps.Add(frame.Gap); break;
        }
    }
}
