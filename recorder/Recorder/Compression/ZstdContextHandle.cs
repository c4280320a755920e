using System.Runtime.InteropServices;

namespace Recorder.Compression;

/// <summary>A libzstd compression context, freed exactly once (also if its writer is never disposed).</summary>
internal sealed class ZstdContextHandle : SafeHandle
{
    public ZstdContextHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeZstd.ZSTD_freeCCtx(handle);
        return true;
    }
}
