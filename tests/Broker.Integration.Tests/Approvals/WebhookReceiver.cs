using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Broker.Integration.Tests.Approvals;

/// <summary>One POST a <see cref="WebhookReceiver"/> read: its headers (names lower-cased) and body.</summary>
internal sealed record WebhookPost(IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>A real HTTP/1.1 receiver on a free loopback port that answers every POST with 200 and hands it to the test.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public WebhookReceiver()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hooks/all-approvals");

    public Channel<WebhookPost> Received { get; } = Channel.CreateUnbounded<WebhookPost>();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                deadline.CancelAfter(TimeSpan.FromSeconds(30));
                var (headers, body) = await ReadRequestAsync(stream, deadline.Token);
                Received.Writer.TryWrite(new WebhookPost(headers, body));
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), deadline.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or FormatException)
            {
                // A connection the broker dropped: nothing to hand over.
            }
        }
    }

    private static async Task<(Dictionary<string, string> Headers, byte[] Body)> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int end;
        while ((end = IndexOfHeaderEnd(buffer)) < 0)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the request ended before its headers");
            }

            buffer.Write(chunk, 0, read);
        }

        var all = buffer.ToArray();
        var headers = Encoding.ASCII.GetString(all, 0, end).Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0].Trim().ToLowerInvariant(), parts => parts[1].Trim());
        var length = int.Parse(headers["content-length"], System.Globalization.CultureInfo.InvariantCulture);
        var body = new MemoryStream();
        body.Write(all, end + 4, all.Length - end - 4);
        while (body.Length < length)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the request ended before its body");
            }

            body.Write(chunk, 0, read);
        }

        return (headers, body.ToArray());
    }

    private static int IndexOfHeaderEnd(MemoryStream buffer) => buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf("\r\n\r\n"u8);
}
