using System.Buffers;
using Broker.Core.Sessions;
using Broker.Masking;

namespace Broker.Server.Masking;

/// <summary>Adapts the streaming masker to the session's output filter seam.</summary>
internal sealed class MaskingFilter : IOutputFilter
{
    private readonly StreamingMasker _masker;

    public MaskingFilter(StreamingMasker masker, TimeSpan holdDelay)
    {
        _masker = masker;
        HoldDelay = holdDelay;
    }

    public TimeSpan HoldDelay { get; }

    public bool HasHeldBytes => _masker.HasHeldBytes;

    public IReadOnlyDictionary<string, long> Counts => _masker.Counts;

    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output) => _masker.Push(chunk, output);

    public void FlushHeld(IBufferWriter<byte> output) => _masker.FlushHeld(output);

    public void Complete(IBufferWriter<byte> output) => _masker.Complete(output);
}
