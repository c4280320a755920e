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

    public void Redraw(long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd)
    {
        // The screen takes it as one event when it can (the common redraw and line end); the combined text reads only the
        // text. A line of typed input (a carriage return that ends the combined text's line) goes event by event, so the
        // screen sees the combined text as it did.
        if (screen is null || (!combined.CarriageReturnEndsLine && screen.TryRedraw(carriageReturn, text, eraseToEnd)))
        {
            combined.Control((byte)'\r', carriageReturn);
            if (!text.IsEmpty)
            {
                combined.Visible(text, carriageReturn + 1);
            }

            return;
        }

        TerminalEvents.Separate(this, carriageReturn, text, eraseToEnd);
    }
}
