using System.Buffers;
using System.Text;

namespace Broker.Masking.Tests.Support;

/// <summary>
/// Runs one masker over pushes on several channels (a command's stdout 1 and stderr 2) and keeps what each channel
/// received, and everything in the order it was released.
/// </summary>
internal sealed class ChannelRun : IMaskedOutput
{
    private readonly Dictionary<int, ArrayBufferWriter<byte>> _channels = [];
    private readonly ArrayBufferWriter<byte> _interleaved = new();
    private readonly Recorder _recorder;
    private int _current = -1;

    private ChannelRun() => _recorder = new Recorder(this);

    public string Interleaved { get; private set; } = string.Empty;

    public IReadOnlyDictionary<string, long> Counts { get; private set; } = new Dictionary<string, long>();

    public static ChannelRun Of(IEnumerable<(int Channel, byte[] Bytes)> pushes, MaskingProfile? profile = null, SecretRegistry? secrets = null, MaskerOptions? options = null, bool flushAfterEach = false)
    {
        var run = new ChannelRun();
        var masker = (profile ?? MaskingProfile.Default).CreateMasker(secrets ?? new SecretRegistry(), options ?? MaskerOptions.Default);
        foreach (var (channel, bytes) in pushes)
        {
            masker.Push(channel, bytes, run);
            if (flushAfterEach)
            {
                masker.FlushHeld(run);
            }
        }

        masker.Complete(run);
        run.Interleaved = Encoding.UTF8.GetString(run._interleaved.WrittenSpan);
        run.Counts = masker.Counts;
        return run;
    }

    /// <summary>An output to drive a masker with by hand.</summary>
    public static ChannelRun Create() => new();

    public static ChannelRun Of(params (int Channel, string Text)[] pushes) => Of(pushes.Select(p => (p.Channel, Encoding.UTF8.GetBytes(p.Text))));

    /// <summary>What <paramref name="channel"/> received.</summary>
    public string Text(int channel) => _channels.TryGetValue(channel, out var writer) ? Encoding.UTF8.GetString(writer.WrittenSpan) : string.Empty;

    public byte[] Bytes(int channel) => _channels.TryGetValue(channel, out var writer) ? writer.WrittenSpan.ToArray() : [];

    public IBufferWriter<byte> Channel(int channel)
    {
        _current = channel;
        return _recorder;
    }

    /// <summary>No run of four bytes of any secret in any channel, nor in the channels read together.</summary>
    public void ShouldNotLeak(params string[] secrets)
    {
        foreach (var channel in _channels.Keys)
        {
            new MaskRun(Text(channel), [Bytes(channel)], Counts).ShouldNotLeak(secrets);
        }

        new MaskRun(Interleaved, [], Counts).ShouldNotLeak(secrets);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (!_channels.TryGetValue(_current, out var writer))
        {
            writer = new ArrayBufferWriter<byte>();
            _channels[_current] = writer;
        }

        writer.Write(bytes);
        _interleaved.Write(bytes);
    }

    /// <summary>Copies what the masker writes into the channel it asked for and into the interleaved record.</summary>
    private sealed class Recorder(ChannelRun run) : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[256];

        public void Advance(int count) => run.Write(_buffer.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        private Memory<byte> Ensure(int sizeHint)
        {
            if (_buffer.Length < sizeHint)
            {
                _buffer = new byte[sizeHint * 2];
            }

            return _buffer;
        }
    }
}
