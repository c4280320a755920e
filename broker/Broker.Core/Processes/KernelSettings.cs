namespace Broker.Core.Processes;

/// <summary>Settings of the running kernel that change how sessions are protected, read once per process.</summary>
public static class KernelSettings
{
    private static readonly Lazy<bool> s_refusesTiocsti = new(() => ReadSysctl("/proc/sys/dev/tty/legacy_tiocsti") == "0");

    /// <summary>
    /// Whether the kernel itself refuses TIOCSTI to unprivileged processes (<c>dev.tty.legacy_tiocsti = 0</c>). Each
    /// session's seccomp filter refuses it either way; this says whether the host also refuses it outside sessions.
    /// </summary>
    public static bool RefusesTiocsti => s_refusesTiocsti.Value;

    private static string? ReadSysctl(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
