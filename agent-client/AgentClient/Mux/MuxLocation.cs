namespace AgentClient.Mux;

/// <summary>
/// Where a user's masters listen: one private directory per user (<c>$AGENT_CLIENT_MUX_DIR</c>, else
/// <c>$XDG_RUNTIME_DIR/agent-client</c>, else <c>~/.agent-client/mux</c>), one socket and one lock file
/// per broker. The directory must be the user's own with mode 0700 and the socket the user's own with no
/// access for group or others, both checked without following links: anything else is refused.
/// </summary>
internal static class MuxLocation
{
    /// <summary>sun_path holds 108 bytes with its terminating zero.</summary>
    private const int MaxSocketPath = 107;

    /// <summary>The multiplexer directory of the user running this process, from the environment <paramref name="variable"/> reads.</summary>
    public static string Directory(Func<string, string?> variable)
    {
        if (variable("AGENT_CLIENT_MUX_DIR") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        if (variable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
        {
            return Path.Combine(runtime, "agent-client");
        }

        return Path.Combine(variable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".agent-client", "mux");
    }

    /// <summary>The socket of the master for <paramref name="key"/> in <paramref name="directory"/>, or null when the path would be too long for a Unix socket.</summary>
    public static string? SocketPath(string directory, string key)
    {
        var path = Path.Combine(directory, $"mux-{Fingerprint(key):x16}.sock");
        return System.Text.Encoding.UTF8.GetByteCount(path) <= MaxSocketPath ? path : null;
    }

    /// <summary>The lock a master holds for as long as it runs (so that two never serve one socket).</summary>
    public static string LockPath(string socketPath) => Path.ChangeExtension(socketPath, ".lock");

    /// <summary>Null if <paramref name="directory"/> is a directory owned by <paramref name="uid"/> with no access for anyone else; else why not.</summary>
    public static string? CheckDirectory(string directory, uint uid) => Check(directory, MuxNative.ModeDirectory, "a directory", uid);

    /// <summary>Null if <paramref name="path"/> is a socket owned by <paramref name="uid"/> with no access for anyone else; else why not.</summary>
    public static string? CheckSocket(string path, uint uid) => Check(path, MuxNative.ModeSocket, "a socket", uid);

    /// <summary>Makes the directory (mode 0700, parents as needed) if it is missing, then checks it.</summary>
    public static string? PrepareDirectory(string directory, uint uid)
    {
        if (MuxNative.Inspect(directory) is null)
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return CheckDirectory(directory, uid);
    }

    private static string? Check(string path, uint type, string what, uint uid)
    {
        if (MuxNative.Inspect(path) is not var (owner, mode))
        {
            return $"{path} does not exist";
        }

        if ((mode & MuxNative.ModeTypeMask) != type)
        {
            return $"{path} is not {what}";
        }

        if (owner != uid)
        {
            return $"{path} belongs to uid {owner}, not {uid}";
        }

        return (mode & 0x3F) != 0 ? $"{path} has mode {Convert.ToString(mode & 0x1FF, 8)}; it must give no access to group or others" : null;
    }

    /// <summary>FNV-1a: a short stable name for the key (the master compares the whole key, so a collision only means a fallback).</summary>
    private static ulong Fingerprint(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
