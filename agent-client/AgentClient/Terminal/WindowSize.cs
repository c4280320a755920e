namespace AgentClient.Terminal;

/// <summary>The local terminal's size in character cells.</summary>
internal readonly record struct WindowSize(int Columns, int Rows)
{
    /// <summary>What a session gets when no descriptor is a terminal.</summary>
    public static WindowSize Default { get; } = new(80, 24);

    /// <summary>The size of the terminal on standard output, else standard input, else <see cref="Default"/>.</summary>
    public static unsafe WindowSize Current()
    {
        LibC.WindowSizeInfo info;
        foreach (var fd in (ReadOnlySpan<int>)[LibC.StandardOutput, LibC.StandardInput, LibC.StandardError])
        {
            if (LibC.IoCtl(fd, LibC.TiocGWinSz, &info) == 0 && info.Columns > 0 && info.Rows > 0)
            {
                return new WindowSize(info.Columns, info.Rows);
            }
        }

        return Default;
    }
}
