using System.Text;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>Drives an interactive session: sends frames, collects output, waits for text.</summary>
public sealed class TerminalClient : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<InteractRequest, InteractResponse> _call;
    private readonly MemoryStream _output = new();
    private readonly List<Notice> _notices = [];
    private readonly List<CommandDecision> _decisions = [];
    private readonly Lock _gate = new();
    private readonly Task _reader;
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(180));

    private TerminalClient(AsyncDuplexStreamingCall<InteractRequest, InteractResponse> call)
    {
        _call = call;
        _reader = Task.Run(ReadAsync);
    }

    public SessionOpened? Opened { get; private set; }

    /// <summary>How many output bytes had arrived when the first notice did; null before any notice.</summary>
    public long? OutputBytesBeforeFirstNotice { get; private set; }

    public ExitStatus? Exit { get; private set; }

    public Task Completion => _reader;

    public static async Task<TerminalClient> OpenAsync(SessionService.SessionServiceClient client, uint columns = 80, uint rows = 24, string target = "local")
    {
        var call = client.Interact();
        try
        {
            await call.RequestStream.WriteAsync(new InteractRequest
            {
                Open = new OpenTerminal { Target = target, Size = new TerminalSize { Columns = columns, Rows = rows }, Term = "xterm" },
            });
        }
        catch (RpcException)
        {
            // Refused at once: the real status arrives on the response, which the reader throws.
        }

        var terminal = new TerminalClient(call);
        await terminal.WaitUntilAsync(() => terminal.Opened is not null || terminal._reader.IsCompleted, "opened");
        if (terminal.Opened is null)
        {
            await terminal._reader;
        }

        return terminal;
    }

    private async Task ReadAsync()
    {
        await foreach (var frame in _call.ResponseStream.ReadAllAsync(_cts.Token))
        {
            lock (_gate)
            {
                switch (frame.FrameCase)
                {
                    case InteractResponse.FrameOneofCase.Opened: Opened = frame.Opened; break;
                    case InteractResponse.FrameOneofCase.Output: _output.Write(frame.Output.Span); break;
                    case InteractResponse.FrameOneofCase.Notice:
                        OutputBytesBeforeFirstNotice ??= _output.Length;
                        _notices.Add(frame.Notice);
                        break;
                    case InteractResponse.FrameOneofCase.Decision: _decisions.Add(frame.Decision); break;
                    case InteractResponse.FrameOneofCase.Exit: Exit = frame.Exit; break;
                }
            }

            if (frame.FrameCase == InteractResponse.FrameOneofCase.Exit)
            {
                await EndRequestsAsync();
            }
        }
    }

    /// <summary>
    /// Ends the client's side once the exit frame is in, as agent-client does: an HTTP/2 client whose request side is
    /// still open loses what it has not read yet if the broker's connection closes (as it does when the broker stops).
    /// </summary>
    private async Task EndRequestsAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or RpcException or OperationCanceledException)
        {
            // A write still in progress, or the call already over: the trailers (or their error) come on the response.
        }
    }

    public byte[] OutputBytes
    {
        get
        {
            lock (_gate)
            {
                return _output.ToArray();
            }
        }
    }

    public string Output => Encoding.UTF8.GetString(OutputBytes);

    public IReadOnlyList<CommandDecision> Decisions
    {
        get
        {
            lock (_gate)
            {
                return [.. _decisions];
            }
        }
    }

    public IReadOnlyList<Notice> Notices
    {
        get
        {
            lock (_gate)
            {
                return [.. _notices];
            }
        }
    }

    public Task SendAsync(string text) => SendAsync(new InteractRequest { Input = ByteString.CopyFromUtf8(text) });

    public Task SendAsync(InteractRequest frame) => _call.RequestStream.WriteAsync(frame, _cts.Token);

    public Task ResizeAsync(uint columns, uint rows) => SendAsync(new InteractRequest { Resize = new TerminalSize { Columns = columns, Rows = rows } });

    public Task WaitForOutputAsync(string text, int occurrences = 1) =>
        WaitUntilAsync(() => Count(Output, text) >= occurrences, $"'{text}' x{occurrences}");

    public Task WaitForExitAsync() => _reader.WaitAsync(TimeSpan.FromSeconds(60));

    public async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {seconds}s for {what}; output so far:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    private static int Count(string haystack, string needle)
    {
        var count = 0;
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Cancel() => _cts.Cancel();

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // Disposing cancels the call; that is the point. A read already waiting on the call sees the cancellation, one
            // that starts after the dispose sees the call disposed (seen once under load).
        }

        _cts.Dispose();
        _output.Dispose();
    }
}
