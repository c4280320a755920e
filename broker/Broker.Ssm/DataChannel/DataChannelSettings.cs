namespace Broker.Ssm.DataChannel;

/// <summary>Tunables of the data channel; the defaults are those of AWS's own client.</summary>
public sealed record DataChannelSettings
{
    /// <summary>
    /// The client version sent in the open frame and the handshake. The agent adapts to it (an
    /// old one gets an "update your plugin" note); a released version of AWS's plugin is sent.
    /// </summary>
    public string ClientVersion { get; init; } = "1.2.650.0";

    /// <summary>How often the oldest unacknowledged frame is checked for a resend.</summary>
    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Unacknowledged frames kept; input waits (back-pressure) when it is reached.</summary>
    public int OutgoingCapacity { get; init; } = 10_000;

    /// <summary>Out-of-order frames kept; past it, frames are dropped unacknowledged and come again.</summary>
    public int IncomingCapacity { get; init; } = 10_000;

    /// <summary>Largest payload of one input frame (AWS's client reads its input 1024 bytes at a time).</summary>
    public int MaxInputPayload { get; init; } = 1024;

    /// <summary>Largest WebSocket message accepted; a longer one is dropped as malformed.</summary>
    public int MaxFrameBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one WebSocket dial may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Dial attempts, first and after a drop (each after ResumeSession).</summary>
    public int ConnectAttempts { get; init; } = 5;

    /// <summary>The first retry delay; a random part of the same size is added, then it doubles.</summary>
    public TimeSpan RetryInitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>WebSocket keep-alive interval (AWS's client pings every 5 minutes).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the agent may take to say what kind of session it runs.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
