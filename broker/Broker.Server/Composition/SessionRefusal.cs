namespace Broker.Server.Composition;

/// <summary>Why the composer refused a session; each front end maps it to its own status (gRPC status codes, MCP errors).</summary>
internal enum RefusalKind
{
    /// <summary>The request itself is malformed or out of bounds.</summary>
    InvalidRequest,

    /// <summary>The target does not exist.</summary>
    UnknownTarget,

    /// <summary>The caller holds no role for the target.</summary>
    NotPermitted,

    /// <summary>A limit is reached: the caller's session cap, or the recording space.</summary>
    LimitReached,

    /// <summary>A control the session needs (masking, AWS credentials refused by STS) cannot be enforced: the session is refused, not weakened.</summary>
    ControlUnavailable,

    /// <summary>Something the session needs is out of reach for now (the recording, STS); trying again may help.</summary>
    Unavailable,
}

/// <summary>A session the composer did not open, and why, in words the caller may read.</summary>
internal sealed record SessionRefusal(RefusalKind Kind, string Message);
