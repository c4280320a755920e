using System.Buffers;
using Broker.Core.Sessions;
using Broker.Masking;

namespace Broker.Server.Masking;

/// <summary>Adapts the streaming masker to the session's output filter seam: every channel of the session through one masker.</summary>
internal sealed class MaskingFilter : IOutputFilter, IMaskedOutput
{
    private readonly StreamingMasker _masker;
    private IOutputSink? _output;

    public MaskingFilter(StreamingMasker masker, TimeSpan holdDelay)
    {
        _masker = masker;
        HoldDelay = holdDelay;
    }

    public TimeSpan HoldDelay { get; }

    public bool HasHeldBytes => _masker.HasHeldBytes;

    public IReadOnlyDictionary<string, long> Counts => _masker.Counts;

    public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output) => _masker.Push((int)channel, chunk, To(output));

    public void FlushHeld(IOutputSink output) => _masker.FlushHeld(To(output));

    // The masker is right for a flush at any moment (a stalled stream may pause after any byte): a secret whose first
    // bytes were released is still masked from where it is recognised, and at most three bytes of one go out unmasked.
    public bool TryFlushEcho(IOutputSink output)
    {
        FlushHeld(output);
        return true;
    }

    public void EndChannel(OutputChannel channel, IOutputSink output) => _masker.EndChannel((int)channel, To(output));

    public void Complete(IOutputSink output) => _masker.Complete(To(output));

    public void Resize(int columns, int rows) => _masker.Resize(columns, rows);

    IBufferWriter<byte> IMaskedOutput.Channel(int channel) => _output!.Channel((OutputChannel)channel);

    private MaskingFilter To(IOutputSink output)
    {
        _output = output;
        return this;
    }
}
