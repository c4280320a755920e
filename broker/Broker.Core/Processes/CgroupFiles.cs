using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Processes;

/// <summary>Writes to cgroup interface files with one open/write/close, so the kernel's own error reaches the caller.</summary>
internal static unsafe class CgroupFiles
{
    /// <summary>Writes <paramref name="text"/> to the file; null on success, else the reason.</summary>
    public static string? Write(string path, string text)
    {
        Span<byte> name = stackalloc byte[Encoding.UTF8.GetMaxByteCount(path.Length) + 1];
        var length = Encoding.UTF8.GetBytes(path, name);
        name[length] = 0;
        Span<byte> value = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        var count = Encoding.UTF8.GetBytes(text, value);
        int fd;
        fixed (byte* p = name)
        {
            fd = LibC.open(p, LibC.O_WRONLY | LibC.O_CLOEXEC);
        }

        if (fd < 0)
        {
            return $"cannot open {path}: {LibC.Describe(LibC.LastError)}";
        }

        nint written;
        fixed (byte* p = value)
        {
            written = LibC.write(fd, p, count);
        }

        var error = written == count ? null : $"cannot write {path}: {LibC.Describe(LibC.LastError)}";
        LibC.close(fd);
        return error;
    }

    /// <summary>The pids listed in a <c>cgroup.procs</c> file (empty if it cannot be read: the cgroup is gone).</summary>
    public static List<int> ReadProcesses(string cgroup)
    {
        var pids = new List<int>();
        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(cgroup, "cgroup.procs")))
            {
                if (int.TryParse(line, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed or never created: it holds nobody.
        }

        return pids;
    }

    /// <summary>Whether any process is left in the cgroup or below it (<c>populated</c> in <c>cgroup.events</c>).</summary>
    public static bool IsPopulated(string cgroup)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(cgroup, "cgroup.events")).Contains("populated 1", StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
