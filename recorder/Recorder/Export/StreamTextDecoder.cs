using System.Text;

namespace Recorder.Export;

/// <summary>
/// UTF-8 decoding that survives characters split across events: incomplete sequences wait for the
/// next chunk; invalid bytes become U+FFFD.
/// </summary>
internal sealed class StreamTextDecoder
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[4096];

    public string Decode(ReadOnlySpan<byte> bytes, bool final = false) => new(DecodeToSpan(bytes, final));

    /// <summary>Decodes into the decoder's own buffer: the characters are valid until the next call (no string per chunk).</summary>
    public ReadOnlySpan<char> DecodeToSpan(ReadOnlySpan<byte> bytes, bool final = false)
    {
        var needed = _decoder.GetCharCount(bytes, flush: final) + 4;
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var count = _decoder.GetChars(bytes, _chars, final);
        return _chars.AsSpan(0, count);
    }
}
