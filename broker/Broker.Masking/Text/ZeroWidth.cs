namespace Broker.Masking.Text;

/// <summary>
/// The UTF-8 characters that render with no width (zero-width spaces and joiners, bidi controls, variation selectors,
/// combining marks, tag characters, the soft hyphen): the parser leaves them out of the visible text, as a token with one
/// inside looks whole on a screen.
/// </summary>
internal static class ZeroWidth
{
    /// <summary>Whether the UTF-8 character (bytes packed little-endian) renders with no width.</summary>
    public static bool Is(uint packed)
    {
        var b0 = (byte)packed;
        var b1 = (byte)(packed >> 8);
        var b2 = (byte)(packed >> 16);
        var b3 = (byte)(packed >> 24);
        return b0 switch
        {
            0xC2 => b1 == 0xAD,                                          // U+00AD soft hyphen
            0xCC => true,                                                // U+0300–U+033F combining marks
            0xCD => b1 <= 0xAF,                                          // U+0340–U+036F
            0xD8 => b1 == 0x9C,                                          // U+061C Arabic letter mark
            0xE1 => (b1 == 0xA0 && b2 is >= 0x8B and <= 0x8F) ||         // U+180B–U+180F
                    (b1 == 0xAA && b2 >= 0xB0) || b1 == 0xAB ||          // U+1AB0–U+1AFF
                    b1 == 0xB7,                                          // U+1DC0–U+1DFF
            0xE2 => (b1 == 0x80 && (b2 is >= 0x8B and <= 0x8F || b2 is >= 0xAA and <= 0xAE)) || // U+200B–U+200F, U+202A–U+202E
                    (b1 == 0x81 && b2 is >= 0xA0 and <= 0xAF) ||         // U+2060–U+206F
                    (b1 == 0x83 && b2 >= 0x90),                          // U+20D0–U+20FF
            0xEF => (b1 == 0xB8 && b2 <= 0x8F) || (b1 == 0xBB && b2 == 0xBF), // U+FE00–U+FE0F, U+FEFF
            0xF3 => b1 == 0xA0 && (b2 is 0x80 or 0x81 || (b2 is >= 0x84 and <= 0x87 && b3 >= 0x80)), // U+E0000–U+E007F, U+E0100–U+E01EF
            _ => false,
        };
    }
}
