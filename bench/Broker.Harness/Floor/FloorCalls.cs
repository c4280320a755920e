using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Harness.Floor;

/// <summary>What the two floor servers' Interact calls share: the opening frames, and how a call ends.</summary>
internal static class FloorCalls
{
    private static long s_sessions;

    /// <summary>The first frame, which must open the terminal (as the broker requires).</summary>
    public static async Task<OpenTerminal> ReadOpenAsync(IAsyncStreamReader<InteractRequest> requestStream, CancellationToken cancellationToken)
    {
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.FrameCase != InteractRequest.FrameOneofCase.Open)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first frame must open the terminal"));
        }

        return requestStream.Current.Open;
    }

    public static InteractResponse Opened(OpenTerminal open) => new()
    {
        Opened = new SessionOpened { SessionId = $"floor-{Interlocked.Increment(ref s_sessions)}", Target = open.Target },
    };

    /// <summary>
    /// Whether <paramref name="ex"/> is the client going away: the harness cancels a session's call to end it, which
    /// cancels the call's token and fails a pending read or write.
    /// </summary>
    public static bool ClientLeft(Exception ex, CancellationToken callToken) =>
        ex is OperationCanceledException or IOException || (ex is InvalidOperationException && callToken.IsCancellationRequested);
}
