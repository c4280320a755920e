using Broker.Core.Sessions;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>
/// The interactive call's response writer while <see cref="EchoStages"/> is on: stamps when a short output frame is
/// taken from the session's queue and when its write returns. Not in the call's path otherwise.
/// </summary>
internal sealed class EchoStageWriter(IServerStreamWriter<V1.InteractResponse> inner, Session session) : IServerStreamWriter<V1.InteractResponse>
{
    private const int EchoBytes = 64;

    public WriteOptions? WriteOptions
    {
        get => inner.WriteOptions;
        set => inner.WriteOptions = value;
    }

    public async Task WriteAsync(V1.InteractResponse message)
    {
        var echo = message.FrameCase == V1.InteractResponse.FrameOneofCase.Output && message.Output.Length <= EchoBytes;
        if (echo)
        {
            EchoStages.Mark(session, EchoStages.Stage.Dequeued);
        }

        await inner.WriteAsync(message).ConfigureAwait(false);
        if (echo)
        {
            EchoStages.Mark(session, EchoStages.Stage.FrameWritten);
        }
    }
}
