namespace Broker.Masking.Text;

/// <summary>What a <see cref="TerminalParser"/> found in the byte stream, in order, with the raw offset of each piece.</summary>
internal interface ITerminalSink
{
    /// <summary>Printable text (TAB and LF included); zero-width characters are left out.</summary>
    void Visible(ReadOnlySpan<byte> text, long rawOffset);

    /// <summary>A C0 control other than TAB, LF and ESC (CR, BS, VT, FF…), or DEL.</summary>
    void Control(byte control, long rawOffset);

    /// <summary>A complete control sequence (<c>ESC [ … final</c>); <paramref name="rawOffset"/> is its final byte's, <see cref="CsiSequence.Start"/> its ESC's.</summary>
    void Csi(in CsiSequence sequence, long rawOffset);

    /// <summary>A complete escape sequence other than CSI and the string introducers (<c>ESC 7</c>, <c>ESC D</c>…); <paramref name="rawOffset"/> is its ESC's.</summary>
    void Escape(byte intermediate, byte final, long rawOffset);

    /// <summary>An OSC, DCS, SOS, PM or APC string starts; <paramref name="introducer"/> is <c>]</c>, <c>P</c>, <c>X</c>, <c>^</c> or <c>_</c>.</summary>
    void StringStart(byte introducer, long rawOffset);

    /// <summary>Payload bytes of the current string.</summary>
    void StringBytes(ReadOnlySpan<byte> payload, long rawOffset);

    /// <summary>The current string ended (terminated or aborted) at <paramref name="rawOffset"/>.</summary>
    void StringEnd(long rawOffset);

    /// <summary>
    /// A carriage return at <paramref name="carriageReturn"/>, the visible text right after it (raw offset one past it; empty
    /// when a control or escape follows at once) and, when <paramref name="eraseToEnd"/>, the <c>ESC [ K</c> right after that
    /// text: a progress line's redraw (or a line's CR LF) as one event. The same as <see cref="Control"/>,
    /// <see cref="Visible"/> and <see cref="Csi"/> in that order (<see cref="TerminalEvents.Separate"/>), which is what a
    /// sink that has no faster way does.
    /// </summary>
    void Redraw(long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd) => TerminalEvents.Separate(this, carriageReturn, text, eraseToEnd);
}

/// <summary>The events a <see cref="ITerminalSink.Redraw"/> stands for.</summary>
internal static class TerminalEvents
{
    /// <summary>Hands a redraw to <paramref name="sink"/> as the separate events the parser would have found without it.</summary>
    public static void Separate<TSink>(TSink sink, long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd)
        where TSink : ITerminalSink
    {
        sink.Control((byte)'\r', carriageReturn);
        if (!text.IsEmpty)
        {
            sink.Visible(text, carriageReturn + 1);
        }

        if (eraseToEnd)
        {
            var erase = new CsiSequence { Start = carriageReturn + 1 + text.Length, Final = (byte)'K' };
            sink.Csi(erase, erase.Start + 2);
        }
    }
}
