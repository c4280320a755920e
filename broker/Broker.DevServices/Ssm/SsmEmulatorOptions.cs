using Broker.DevServices.Ssm.Api;
using Broker.DevServices.Ssm.Faults;

namespace Broker.DevServices.Ssm;

/// <summary>How an emulator behaves; the defaults are the service's and the agent's.</summary>
public sealed record SsmEmulatorOptions
{
    /// <summary>The port on 127.0.0.1 (0: a free one).</summary>
    public int Port { get; init; }

    /// <summary>The region requests must be signed for.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The instances it knows (default: one online instance tagged Name=emulated).</summary>
    public IReadOnlyList<EmulatedInstance> Instances { get; init; } =
        [new("i-0123456789abcdef0", new Dictionary<string, string>(StringComparer.Ordinal) { ["Name"] = "emulated" })];

    /// <summary>The Session documents it knows.</summary>
    public IReadOnlyList<SessionDocument> Documents { get; init; } = SessionDocument.Defaults;

    /// <summary>The shell a Standard_Stream session starts (the agent starts <c>sh</c>).</summary>
    public string Shell { get; init; } = "/bin/sh";

    /// <summary>The account programs run as (null: the emulator's own). Switching needs a root emulator.</summary>
    public Agent.InstanceAccount? RunAs { get; init; }

    /// <summary>PATH on the "instance".</summary>
    public string InstancePath { get; init; } = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Where each session's home directory is made (default: a new directory under the system's temporary one).</summary>
    public string? HomeRoot { get; init; }

    /// <summary>Whether a Standard_Stream session starts with a handshake (the agent skips it unless KMS is on).</summary>
    public bool StandardStreamHandshake { get; init; }

    /// <summary>A KMS key: sessions then ask the client for KMS encryption (which the emulator cannot do itself).</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>The handshake's message for the user.</summary>
    public string CustomerMessage { get; init; } = "";

    /// <summary>The agent version the handshake reports.</summary>
    public string AgentVersion { get; init; } = "3.3.1142.0";

    /// <summary>How long the agent waits for the handshake response.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often unacknowledged output is checked for a resend.</summary>
    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// True (the agent's rule) to resend only the oldest frame per check; false to also resend every
    /// expired frame older than the newest acknowledged one (lost, not merely in flight), and, when a
    /// client comes back after a drop, everything unacknowledged at once.
    /// </summary>
    public bool ResendOldestOnly { get; init; } = true;

    /// <summary>Unacknowledged output frames after which the program's output waits (back-pressure; the agent's buffer holds 100 000).</summary>
    public int OutgoingWindow { get; init; } = 10_000;

    /// <summary>How long the end of a session waits for the client to acknowledge the last output (the agent: about 2 s).</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Faults every new session starts with.</summary>
    public FaultSettings DefaultFaults { get; init; } = FaultSettings.None;

    /// <summary>Whether ResumeSession answers with an empty token (a session that timed out).</summary>
    public bool ResumeTimesOut { get; init; }
}
