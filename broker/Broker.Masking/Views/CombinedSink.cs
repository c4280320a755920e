using Broker.Masking.Text;

namespace Broker.Masking.Views;

/// <summary>
/// Hands what the combined stream's parser finds to every view that reads it: the screen first (it rebuilds a
/// row from the combined text before the new text joins it), then the combined line of text, then the string payloads.
/// </summary>
internal readonly struct CombinedSink(LinearView combined, ScreenView? screen, StringPayloads payloads) : ITerminalSink
{
    public void Visible(ReadOnlySpan<byte> text, long rawOffset)
    {
        screen?.Visible(text, rawOffset);
        combined.Visible(text, rawOffset);
    }

    public void Control(byte control, long rawOffset)
    {
        screen?.Control(control, rawOffset);
        combined.Control(control, rawOffset);
    }

    public void Csi(in CsiSequence sequence, long rawOffset) => screen?.Csi(sequence, rawOffset);

    public void Escape(byte intermediate, byte final, long rawOffset) => screen?.Escape(intermediate, final, rawOffset);

    public void StringStart(byte introducer, long rawOffset) => payloads.Start(introducer);

    public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset) => payloads.Bytes(payload, rawOffset);

    public void StringEnd(long rawOffset) => payloads.End(rawOffset);
}
