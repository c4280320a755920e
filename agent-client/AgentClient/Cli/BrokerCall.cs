using System.CommandLine;
using System.Net.Sockets;
using System.Security.Authentication;
using AgentClient.Connection;
using Grpc.Core;

namespace AgentClient.Cli;

/// <summary>What a command that talks to the broker gets: the open connection, its URL, and where a fresh token comes from.</summary>
internal sealed record BrokerContext(BrokerConnection Connection, Uri Broker, Func<string?> Renewal);

/// <summary>
/// The frame of every command that talks to the broker: resolve the URL and token (a usage error
/// when they are missing), open the connection, run the command, and turn a failed call into one
/// line and an exit code. A call ended because the user interrupted the client reports nothing.
/// </summary>
internal static class BrokerCall
{
    public static async Task<int> RunAsync(ClientOptions client, ParseResult parse, Func<BrokerContext, Task<int>> body, CancellationToken cancellationToken)
    {
        var (broker, token, problem) = client.Resolve(parse);
        if (problem is not null)
        {
            return ExitCodes.Report(ExitCodes.Usage, problem);
        }

        using var connection = BrokerConnection.Open(broker!, token!);
        try
        {
            return await body(new BrokerContext(connection, broker!, client.Renewal(parse))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // The client was told to stop (a signal); Program turns that into 128 + its number.
            return ExitCodes.Failed;
        }
        catch (RpcException e)
        {
            return await ExitCodes.ReportAsync(e, broker!).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or AuthenticationException or SocketException)
        {
            // The connection failed outside any call's status: with TLS 1.3 a server that refuses the client's
            // certificate says so after the handshake, so the refusal can surface as a broken stream.
            return ExitCodes.Report(ExitCodes.Unavailable, $"the connection to the broker at {broker!.OriginalString} failed: {e.Message}");
        }
    }
}
