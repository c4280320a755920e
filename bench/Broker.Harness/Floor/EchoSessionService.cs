using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Harness.Floor;

/// <summary>
/// The broker's Interact method with nothing behind it: each input frame's bytes go back as one output frame. After the
/// opening (an <c>opened</c> frame and a prompt, which the harness waits for as it waits for a shell's), a key costs what
/// gRPC over Kestrel's HTTP/2 costs to carry one small frame each way, and nothing else.
/// </summary>
internal sealed class EchoSessionService : SessionService.SessionServiceBase
{
    private static readonly ByteString s_prompt = ByteString.CopyFromUtf8("grpc-echo$ ");

    public override async Task Interact(IAsyncStreamReader<InteractRequest> requestStream, IServerStreamWriter<InteractResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        try
        {
            var open = await FloorCalls.ReadOpenAsync(requestStream, cancellationToken).ConfigureAwait(false);
            await responseStream.WriteAsync(FloorCalls.Opened(open), cancellationToken).ConfigureAwait(false);
            await responseStream.WriteAsync(new InteractResponse { Output = s_prompt }, cancellationToken).ConfigureAwait(false);
            // One frame object for the call, as the broker's Interact keeps one: grpc-dotnet serializes it inside WriteAsync.
            var frame = new InteractResponse();
            while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                if (requestStream.Current.FrameCase == InteractRequest.FrameOneofCase.Input)
                {
                    frame.Output = requestStream.Current.Input;
                    await responseStream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (FloorCalls.ClientLeft(ex, cancellationToken))
        {
            // The harness ends a session by cancelling its call.
        }
    }
}
