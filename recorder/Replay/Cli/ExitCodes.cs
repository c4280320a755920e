namespace Replay.Cli;

/// <summary>The tool's exit codes; docs/auditing.md lists them for scripts.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>search: nothing matched (like grep).</summary>
    public const int NoMatch = 1;

    public const int Usage = 2;

    public const int SourceNotFound = 3;

    public const int NotARecording = 4;

    public const int PublicKeyUnavailable = 5;

    public const int OutputFailed = 6;

    /// <summary>verify: intact up to a checkpoint, then truncated (a crash or a session still running).</summary>
    public const int Truncated = 10;

    /// <summary>verify: tampered.</summary>
    public const int Tampered = 11;

    /// <summary>verify by session id: the index lists the recording but its file is gone.</summary>
    public const int Missing = 12;
}
