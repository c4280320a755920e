namespace Broker.TestSupport;

/// <summary>
/// A temporary directory of the test's that sessions may write in. Sessions run as accounts of their own, which a
/// directory of the test's (root's, mode 0700) would shut out; this one is world-writable and sticky, like /tmp.
/// </summary>
public sealed class SessionScratch : IDisposable
{
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public SessionScratch(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(Path, UnixFileMode.StickyBit | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        }
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="content"/> to a file every account may read (whatever the test's umask); its path.</summary>
    public async Task<string> WriteReadableAsync(string name, byte[] content)
    {
        var path = File(name);
        await System.IO.File.WriteAllBytesAsync(path, content);
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, Readable);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
