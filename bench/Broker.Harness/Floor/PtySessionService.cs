using System.Buffers;
using System.IO.Pipelines;
using Broker.Core.Targets;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Harness.Floor;

/// <summary>
/// The broker's Interact method over a PTY and nothing else: each call opens a bash on a terminal of the broker's own PTY
/// layer (<see cref="LocalShellTarget"/>, as the direct PTY system does), writes each input frame's bytes to it, and
/// sends each read of its output back as an output frame. No session, policy, masking, recording or observers, no
/// session account: what a key costs here beyond <see cref="EchoSessionService"/> is the PTY round trip.
/// </summary>
internal sealed class PtySessionService : SessionService.SessionServiceBase
{
    private static readonly Dictionary<string, string> s_noAdditions = [];
    private readonly LocalShellTarget _shells;

    public PtySessionService(LocalShellTarget shells) => _shells = shells;

    public override async Task Interact(IAsyncStreamReader<InteractRequest> requestStream, IServerStreamWriter<InteractResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        var open = await FloorCalls.ReadOpenAsync(requestStream, cancellationToken).ConfigureAwait(false);
        var size = open.Size ?? new TerminalSize { Columns = 80, Rows = 24 };
        var started = await _shells.StartTerminalAsync(
            new TerminalStart((int)size.Columns, (int)size.Rows, open.Term.Length > 0 ? open.Term : "xterm-256color", s_noAdditions),
            cancellationToken).ConfigureAwait(false);
        if (started.Process is not { } process)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the shell did not start: {started.Error}"));
        }

        Task relay;
        await using (process.ConfigureAwait(false))
        {
            // The opened frame goes first; from then on only the relay writes to the response stream.
            await responseStream.WriteAsync(FloorCalls.Opened(open), cancellationToken).ConfigureAwait(false);
            relay = RelayOutputAsync(process.Output, responseStream, cancellationToken);
            try
            {
                while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    if (requestStream.Current.FrameCase == InteractRequest.FrameOneofCase.Input
                        && !await process.WriteInputAsync(requestStream.Current.Input.Memory, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (FloorCalls.ClientLeft(ex, cancellationToken))
            {
                // The harness ends a session by cancelling its call; disposing the process below ends the shell.
            }
        }

        // Disposing the process completed its output, which ends the relay.
        await relay.ConfigureAwait(false);
    }

    /// <summary>Sends every read of the terminal's output as one output frame until the output ends or the client leaves.</summary>
    private static async Task RelayOutputAsync(PipeReader output, IServerStreamWriter<InteractResponse> responseStream, CancellationToken cancellationToken)
    {
        // One frame object for the call, as the broker's Interact keeps one: grpc-dotnet serializes it inside WriteAsync.
        var frame = new InteractResponse();
        try
        {
            while (true)
            {
                var result = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (!result.Buffer.IsEmpty)
                {
                    // The bytes are serialized inside WriteAsync, before the read is advanced past them: no copy needed
                    // for the usual single segment.
                    frame.Output = result.Buffer.IsSingleSegment ? UnsafeByteOperations.UnsafeWrap(result.Buffer.First) : ByteString.CopyFrom(result.Buffer.ToArray());
                    await responseStream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }

                output.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (FloorCalls.ClientLeft(ex, cancellationToken))
        {
            // The client left while output was being sent; the call is over.
        }
    }
}
