using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Broker.TestSupport.Http;

/// <summary>One HTTP POST as a receiver saw it.</summary>
public sealed record ReceivedPost(IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : string.Empty;
}

/// <summary>
/// A webhook receiver (real HTTP/1.1) on a free loopback port (bound to port 0): reads each request whole, records it, and answers
/// with the status <c>respond</c> gives for the attempt number (or never, while <c>respond</c> does not complete).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, CancellationToken, Task<int>> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _attempts;

    public WebhookReceiver(Func<int, CancellationToken, Task<int>>? respond = null)
    {
        _respond = respond ?? ((_, _) => Task.FromResult(200));
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hooks/approvals");

    /// <summary>Every request read, answered or not.</summary>
    public Channel<ReceivedPost> Received { get; } = Channel.CreateUnbounded<ReceivedPost>();

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
                var head = new List<byte>();
                var one = new byte[1];
                while (!EndsWithBlankLine(head) && await stream.ReadAsync(one, _stop.Token) == 1)
                {
                    head.Add(one[0]);
                }

                var headers = Encoding.ASCII.GetString([.. head]).Split("\r\n").Skip(1).Where(l => l.Contains(':'))
                    .ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
                var body = new byte[int.Parse(headers.GetValueOrDefault("content-length", "0"))];
                await stream.ReadExactlyAsync(body, _stop.Token);
                await Received.Writer.WriteAsync(new ReceivedPost(headers, body), _stop.Token);
                var status = await _respond(Interlocked.Increment(ref _attempts), _stop.Token);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // The test is over, or the sender gave up on this attempt.
            }
        }
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';
}
