using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;

namespace AgentClient.Connection;

/// <summary>
/// Explains a call that never reached the broker, naming the URL: nothing listening, a name that
/// does not resolve, or a TLS/plain mismatch (an https:// URL for a broker that serves plain HTTP/2,
/// or the reverse), which is found out by asking the port which of the two it speaks.
/// </summary>
internal static class ConnectionFailure
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    // The HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113, 3.4).
    private static readonly byte[] Http2Preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0];

    /// <summary>A one-line explanation, or null when the failure is not about reaching the broker.</summary>
    public static async Task<string?> ExplainAsync(RpcException failure, Uri broker)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(broker);
        if (failure.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown))
        {
            return null;
        }

        var http = Find<HttpRequestException>(failure.Status.DebugException);
        var socket = Find<SocketException>(failure.Status.DebugException);
        if (http is null && socket is null)
        {
            return null;
        }

        var address = $"{broker.Host}:{broker.Port}";
        var url = broker.OriginalString;
        switch (socket?.SocketErrorCode)
        {
            case SocketError.ConnectionRefused:
                return $"cannot reach the broker at {url}: nothing is listening on {address} (is `broker serve` running, with this address?)";
            case SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData:
                return $"cannot reach the broker at {url}: the name '{broker.Host}' does not resolve";
        }

        var secure = broker.Scheme == Uri.UriSchemeHttps;
        if (secure && http?.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            return await SpeaksPlainHttp2Async(broker).ConfigureAwait(false)
                ? $"the broker at {url} does not use TLS: it serves plain HTTP/2 there, so use http://{address}"
                : $"the TLS handshake with {url} failed: {Innermost(http).Message}";
        }

        // A TLS server drops a connection that opens with the HTTP/2 preface: how (a reset, a broken pipe, a
        // closed stream) depends on timing, so any failure of a plain connection is worth the question.
        if (!secure && await SpeaksTlsAsync(broker).ConfigureAwait(false))
        {
            return $"the broker at {url} uses TLS: use https://{address}";
        }

        return socket is not null
            ? $"cannot reach the broker at {url}: {socket.SocketErrorCode} ({socket.Message})"
            : $"cannot talk to the broker at {url}: {Innermost(http!).Message}";
    }

    private static async Task<bool> SpeaksPlainHttp2Async(Uri broker)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(broker.Host, broker.Port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Http2Preface, timeout.Token).ConfigureAwait(false);
            var header = new byte[9];
            await stream.ReadExactlyAsync(header, timeout.Token).ConfigureAwait(false);

            // A server speaking HTTP/2 in the clear answers the preface with its SETTINGS frame (type 4).
            return header[3] == 4;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> SpeaksTlsAsync(Uri broker)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        var presentedCertificate = false;
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(broker.Host, broker.Port, timeout.Token).ConfigureAwait(false);
            using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = broker.Host,

                    // Only notes that the server got as far as presenting a certificate (it speaks TLS);
                    // the handshake is still refused, and nothing is sent over it.
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        presentedCertificate = certificate is not null;
                        return false;
                    },
                },
                timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException)
        {
            return presentedCertificate;
        }
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
