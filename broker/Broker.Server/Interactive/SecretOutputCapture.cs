using System.Buffers;
using System.Text;
using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Masking;

namespace Broker.Server.Interactive;

/// <summary>
/// Keeps what a command that reads a secret or mints a credential prints (an allowed
/// <c>aws secretsmanager get-secret-value</c>, …) from anyone's eyes: the bytes are held, replaced by one
/// <c>[MASKED:secret-output]</c> line, and registered with the session's secret registry, so the value is masked
/// wherever it shows up later (an <c>echo</c> of a variable holding it). In line mode the capture covers exactly the
/// command's output: it is armed when the command is sent and runs from the shell's command-start marker to its next
/// prompt marker (the marker filter reports them at their place in the stream). For an exec session it covers
/// everything. Held bytes are bounded; beyond the bound they are dropped (still never shown).
/// </summary>
internal sealed class SecretOutputCapture : IOutputFilter
{
    internal const string Replacement = "[MASKED:secret-output]";
    private const string SecretName = "secret-output";
    private const int MaxHeld = 64 * 1024;

    // Registered pieces: long enough not to mask ordinary words.
    private const int MinimumPiece = 8;

    private static readonly SearchValues<char> Separators = SearchValues.Create(" \t\r\n\"',:;{}[]=");

    private readonly SecretRegistry _secrets;
    private readonly ShellMarkerFilter? _markers;
    private readonly CaptureWriter _writer = new();
    private bool _armed;
    private bool _stdoutEnded;

    /// <summary>Captures everything (an exec session whose command's output is secret).</summary>
    public SecretOutputCapture(SecretRegistry secrets)
    {
        _secrets = secrets;
        _writer.Capturing = true;
    }

    /// <summary>Strips this session's prompt markers (reporting them to <paramref name="onMarker"/>) and captures between them when armed.</summary>
    public SecretOutputCapture(SecretRegistry secrets, string nonce, Action<ShellMarker> onMarker)
    {
        _secrets = secrets;
        _markers = new ShellMarkerFilter(nonce, marker =>
        {
            OnMarker(marker);
            onMarker(marker);
        });
    }

    public TimeSpan HoldDelay => _markers?.HoldDelay ?? TimeSpan.FromMilliseconds(50);

    public bool HasHeldBytes => _markers?.HasHeldBytes ?? false;

    /// <summary>The next command's output is secret (called before the command is sent to the shell).</summary>
    public void Arm() => Volatile.Write(ref _armed, true);

    public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output)
    {
        _writer.Sink = output;
        if (_markers is null)
        {
            _writer.Channel(channel).Write(chunk);
            return;
        }

        _markers.Push(channel, chunk, _writer);
    }

    public void FlushHeld(IOutputSink output)
    {
        _writer.Sink = output;
        _markers?.FlushHeld(_writer);
    }

    public void EndChannel(OutputChannel channel, IOutputSink output)
    {
        _writer.Sink = output;
        if (_markers is null)
        {
            // An exec capture is replaced on standard output when it ends, while it is still open: a secret-printing
            // command prints there. Once it has ended, what standard error adds is replaced there when it ends.
            if (channel == OutputChannel.Stdout || _stdoutEnded)
            {
                _stdoutEnded |= channel == OutputChannel.Stdout;
                Release(channel);
                _writer.Capturing = true;
            }

            return;
        }

        _markers.EndChannel(channel, _writer);
    }

    public void Complete(IOutputSink output)
    {
        _writer.Sink = output;
        _markers?.Complete(_writer);
        Release();
    }

    private void OnMarker(ShellMarker marker)
    {
        if (marker.Kind == ShellMarkerKind.CommandStart && Volatile.Read(ref _armed))
        {
            _armed = false;
            _writer.Capturing = true;
        }
        else if (marker.Kind == ShellMarkerKind.PromptStart && _writer.Capturing)
        {
            Release();
        }
    }

    /// <summary>Ends a capture: registers what was held and shows the one replacement line in its place (on <paramref name="to"/>, else the channel seen last).</summary>
    private void Release(OutputChannel? to = null)
    {
        if (!_writer.Capturing)
        {
            return;
        }

        _writer.Capturing = false;
        var text = Encoding.UTF8.GetString(_writer.Held.WrittenSpan);
        var total = _writer.Total;
        _writer.Reset();
        if (total == 0)
        {
            return;
        }

        Register(text);
        var target = to is { } channel ? _writer.Sink!.Channel(channel) : _writer.ReleaseTarget;
        target.Write(Encoding.UTF8.GetBytes($"{Replacement} ({total} bytes)\r\n"));
    }

    private void Register(string text)
    {
        var whole = text.Trim();
        if (whole.Length >= SecretRegistry.MinimumLength)
        {
            _secrets.Register(SecretName, whole);
        }

        foreach (var line in whole.Split('\n'))
        {
            if (line.Trim() is { Length: >= MinimumPiece } trimmed)
            {
                _secrets.Register(SecretName, trimmed);
            }
        }

        var span = whole.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span.IndexOfAny(Separators);
            var piece = end < 0 ? span : span[..end];
            if (piece.Length >= MinimumPiece)
            {
                _secrets.Register(SecretName, piece.ToString());
            }

            span = end < 0 ? [] : span[(end + 1)..];
        }
    }

    /// <summary>
    /// Passes bytes on to the channel they belong to, or holds them (bounded) while capturing. The replacement
    /// line goes to the channel the captured output came from last (a command's stdout, or the terminal).
    /// </summary>
    private sealed class CaptureWriter : IBufferWriter<byte>, IOutputSink
    {
        private readonly ArrayBufferWriter<byte> _scratch = new(4096);
        private IBufferWriter<byte>? _target;
        private OutputChannel _channel = OutputChannel.Stdout;

        private IOutputSink? _sink;

        /// <summary>The sink of the current call; a new call starts new runs, so no writer is kept across calls.</summary>
        public IOutputSink? Sink
        {
            get => _sink;
            set
            {
                _sink = value;
                _target = null;
            }
        }

        /// <summary>Where the replacement line is written: the last channel seen, in the current sink.</summary>
        public IBufferWriter<byte> ReleaseTarget => Sink!.Channel(_channel);

        public bool Capturing { get; set; }

        public ArrayBufferWriter<byte> Held { get; } = new(1024);

        public long Total { get; private set; }

        public IBufferWriter<byte> Channel(OutputChannel channel)
        {
            _channel = channel;
            _target = null;
            return this;
        }

        public void Reset()
        {
            Held.ResetWrittenCount();
            Total = 0;
        }

        public void Advance(int count)
        {
            var written = _scratch.WrittenSpan.Length;
            _scratch.Advance(count);
            var data = _scratch.WrittenSpan[written..];
            Deliver(data);
            _scratch.ResetWrittenCount();
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _scratch.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => _scratch.GetSpan(sizeHint);

        public void Write(ReadOnlySpan<byte> data) => Deliver(data);

        private void Deliver(ReadOnlySpan<byte> data)
        {
            if (!Capturing)
            {
                // Fetched once per run: the sink starts a new event for each call.
                _target ??= Sink!.Channel(_channel);
                _target.Write(data);
                return;
            }

            Total += data.Length;
            var room = MaxHeld - Held.WrittenCount;
            if (room > 0)
            {
                Held.Write(data[..Math.Min(room, data.Length)]);
            }
        }
    }
}
