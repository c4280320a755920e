using System.Runtime.InteropServices;

namespace Recorder.Compression;

/// <summary>
/// The few functions of the system's libzstd (<c>libzstd.so.1</c>, part of every Debian and Ubuntu base system) the
/// recorder compresses with. <see cref="IsAvailable"/> is false where it is missing or older than 1.4 (which has the
/// parameter API used here); the recorder then compresses in managed code.
/// </summary>
internal static unsafe partial class NativeZstd
{
    /// <summary>ZSTD_c_compressionLevel.</summary>
    public const int CompressionLevel = 100;

    /// <summary>ZSTD_c_hashLog.</summary>
    public const int HashLog = 102;

    /// <summary>ZSTD_c_checksumFlag.</summary>
    public const int ChecksumFlag = 201;

    private const string Library = "libzstd.so.1";
    private const uint MinimumVersion = 10400;

    private static readonly Lazy<bool> s_available = new(Probe);

    /// <summary>Whether libzstd 1.4 or later loads on this system.</summary>
    public static bool IsAvailable => s_available.Value;

    /// <summary>Throws when <paramref name="code"/> is one of libzstd's error codes.</summary>
    public static void Check(nuint code, string what)
    {
        if (ZSTD_isError(code) != 0)
        {
            throw new IOException($"libzstd failed {what}: {Marshal.PtrToStringUTF8(ZSTD_getErrorName(code))}");
        }
    }

    [LibraryImport(Library)]
    internal static partial uint ZSTD_versionNumber();

    [LibraryImport(Library)]
    internal static partial ZstdContextHandle ZSTD_createCCtx();

    [LibraryImport(Library)]
    internal static partial nuint ZSTD_freeCCtx(nint context);

    [LibraryImport(Library)]
    internal static partial nuint ZSTD_CCtx_setParameter(ZstdContextHandle context, int parameter, int value);

    [LibraryImport(Library)]
    internal static partial nuint ZSTD_compress2(ZstdContextHandle context, byte* destination, nuint capacity, byte* source, nuint length);

    [LibraryImport(Library)]
    internal static partial nuint ZSTD_compressBound(nuint length);

    [LibraryImport(Library)]
    internal static partial uint ZSTD_isError(nuint code);

    [LibraryImport(Library)]
    internal static partial nint ZSTD_getErrorName(nuint code);

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return ZSTD_versionNumber() >= MinimumVersion;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}
