using Recorder.Format;

namespace Recorder;

/// <summary>Facts about recording files that tools share.</summary>
public static class RecordingFiles
{
    /// <summary>The extension the broker gives recording files.</summary>
    public const string Extension = ".brkrec";

    /// <summary>Bytes of the magic every recording starts with; a shorter file is not a recording.</summary>
    public const int MagicLength = 8;

    /// <summary>True when <paramref name="stream"/> starts with the recording magic (reads 8 bytes).</summary>
    public static bool HasMagic(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> magic = stackalloc byte[8];
        return stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length && magic.SequenceEqual(FileLayout.Magic);
    }
}
