namespace Recorder;

/// <summary>
/// Who, what and where a recording is about. Written once, uncompressed, at the start of the file
/// and hashed into the start of the chain, so changing any field breaks every later checkpoint.
/// </summary>
public sealed record RecordingHeader
{
    /// <summary>The broker's session id.</summary>
    public required string SessionId { get; init; }

    /// <summary>The authenticated subject (the agent or user identity) that opened the session.</summary>
    public required string Subject { get; init; }

    /// <summary>The identity provider that issued the subject's token.</summary>
    public string Issuer { get; init; } = "";

    /// <summary>The roles the session ran under.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The target the session was connected to.</summary>
    public required string Target { get; init; }

    /// <summary>The session kind, for example <c>shell</c> or <c>exec</c>.</summary>
    public string Kind { get; init; } = "shell";

    /// <summary>Initial terminal width in columns.</summary>
    public int Columns { get; init; } = 80;

    /// <summary>Initial terminal height in rows.</summary>
    public int Rows { get; init; } = 24;

    /// <summary>The TERM value given to the target.</summary>
    public string Term { get; init; } = "xterm-256color";

    /// <summary>Version of the broker that wrote the recording.</summary>
    public string BrokerVersion { get; init; } = "";

    /// <summary>
    /// Wall-clock start; event offsets are measured from it. Left at its default, the writer fills it
    /// from its <see cref="TimeProvider"/>.
    /// </summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>
    /// Hex SHA-256 of the signing key's SubjectPublicKeyInfo. Set by the writer; informational only
    /// (every checkpoint carries the key id it was signed with).
    /// </summary>
    public string SigningKeyId { get; init; } = "";
}
