using System.Text;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace AgentClient.Mcp;

/// <summary>
/// Relays an MCP client's stdio to the broker's MCP server: each line read is one JSON-RPC message, sent on its own
/// <c>McpRelayService.Relay</c> call (concurrently, so a long tool call holds up nothing else), and every server
/// message a call returns is written to standard output as one line. Until the broker has named the session (in the
/// reply to <c>initialize</c>), messages go one at a time; after that, side by side.
/// </summary>
internal sealed class StdioRelay(McpRelayService.McpRelayServiceClient broker, Stream input, Stream output, TextWriter log) : IDisposable
{
    /// <summary>A message bigger than this is not relayed (the broker's default receive limit is 4 MiB).</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Calls in flight at once; reading stdin waits for one to finish beyond this.</summary>
    private const int MaxInFlight = 32;

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);
    private string _sessionId = string.Empty;

    /// <summary>Relays until standard input ends, then waits for the calls in flight.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var calls = new List<Task>();
        using var lines = new LineReader(input, MaxMessageBytes);
        while (await lines.ReadAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (ReferenceEquals(line, LineResult.TooLong))
            {
                await log.WriteLineAsync($"agent-client mcp: skipped a message over {MaxMessageBytes} bytes").ConfigureAwait(false);
                continue;
            }

            if (line.Bytes.AsSpan().Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            calls.RemoveAll(c => c.IsCompleted);
            calls.Add(RelayOneAsync(line.Bytes, cancellationToken));
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async Task RelayOneAsync(byte[] message, CancellationToken cancellationToken)
    {
        var opening = false;
        try
        {
            if (Volatile.Read(ref _sessionId).Length == 0)
            {
                await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
                opening = Volatile.Read(ref _sessionId).Length == 0;
                if (!opening)
                {
                    _opening.Release();
                }
            }

            using var call = broker.Relay(new RelayRequest { SessionId = Volatile.Read(ref _sessionId), Message = ByteString.CopyFrom(message) }, cancellationToken: cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var reply = call.ResponseStream.Current;
                if (opening && reply.SessionId.Length > 0)
                {
                    Volatile.Write(ref _sessionId, reply.SessionId);
                    opening = false;
                    _opening.Release();
                }

                await WriteLineAsync(reply.Message.Memory, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            await RefusedAsync(message, e, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            await RefusedAsync(message, new RpcException(new Status(StatusCode.Unavailable, e.Message)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (opening)
            {
                _opening.Release();
            }

            _inFlight.Release();
        }
    }

    /// <summary>Says on stderr why a message did not get through and, for a request, answers it with a JSON-RPC error.</summary>
    private async Task RefusedAsync(byte[] message, RpcException refusal, CancellationToken cancellationToken)
    {
        var reason = $"the broker refused the message ({refusal.StatusCode}): {refusal.Status.Detail}";
        await log.WriteLineAsync($"agent-client mcp: {reason}").ConfigureAwait(false);
        if (JsonRpcLine.RequestId(message) is { } id)
        {
            await WriteLineAsync(JsonRpcLine.Error(id, reason), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteLineAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await output.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose()
    {
        _writing.Dispose();
        _opening.Dispose();
        _inFlight.Dispose();
    }

    private static ReadOnlyMemory<byte> Newline { get; } = Encoding.ASCII.GetBytes("\n");
}
