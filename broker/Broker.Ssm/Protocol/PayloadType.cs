namespace Broker.Ssm.Protocol;

/// <summary>What the payload of a data message is (the <c>PayloadType</c> header field).</summary>
public enum PayloadType : uint
{
    /// <summary>No payload type (acknowledgements and control messages).</summary>
    None = 0,

    /// <summary>Terminal bytes: keystrokes to the agent, output from it.</summary>
    Output = 1,

    /// <summary>Defined, but sent by neither side.</summary>
    Error = 2,

    /// <summary>Terminal size, JSON <c>{"cols":N,"rows":N}</c>.</summary>
    Size = 3,

    /// <summary>Defined, but sent by neither side.</summary>
    Parameter = 4,

    /// <summary>Agent to client: what the client must do before the session starts.</summary>
    HandshakeRequest = 5,

    /// <summary>Client to agent: what the client did about each requested action.</summary>
    HandshakeResponse = 6,

    /// <summary>Agent to client: the handshake is over; terminal I/O may start.</summary>
    HandshakeComplete = 7,

    /// <summary>Agent to client: a KMS challenge.</summary>
    EncChallengeRequest = 8,

    /// <summary>Client to agent: the answered KMS challenge.</summary>
    EncChallengeResponse = 9,

    /// <summary>A 4-byte big-endian flag (port sessions).</summary>
    Flag = 10,

    /// <summary>Agent to client: standard error of a non-interactive command.</summary>
    StdErr = 11,

    /// <summary>Agent to client: <c>EXIT_CODE: n</c> of a non-interactive command.</summary>
    ExitCode = 12,
}
