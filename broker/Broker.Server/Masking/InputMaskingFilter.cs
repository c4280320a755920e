using System.Buffers;
using Broker.Core.Sessions;
using Broker.Masking;

namespace Broker.Server.Masking;

/// <summary>Adapts a streaming masker to the session's input-recording seam: the recorded copy of the input is masked.</summary>
internal sealed class InputMaskingFilter : IInputFilter
{
    private readonly StreamingMasker _masker;

    public InputMaskingFilter(StreamingMasker masker, TimeSpan holdDelay)
    {
        _masker = masker;
        HoldDelay = holdDelay;
    }

    public TimeSpan HoldDelay { get; }

    public bool HasHeldBytes => _masker.HasHeldBytes;

    public IReadOnlyDictionary<string, long> Counts => _masker.Counts;

    public void Push(ReadOnlySpan<byte> input, IBufferWriter<byte> output) => _masker.Push(input, output);

    public void FlushHeld(IBufferWriter<byte> output) => _masker.FlushHeld(output);

    public void Complete(IBufferWriter<byte> output) => _masker.Complete(output);
}
