using Broker.Core.Targets;
using Broker.Identity.Tokens;
using Broker.Server.Access;

namespace Broker.Server.Configuration;

/// <summary>Everything a running broker needs, validated before the host is built.</summary>
internal sealed record BrokerSettings
{
    /// <summary>The policy file (reloaded on SIGHUP), or null for the embedded dev policy.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Whether <c>--dev</c> was given (the dev issuer is trusted).</summary>
    public bool DevMode { get; init; }

    /// <summary>Where keys, the store and recordings live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Listen addresses (h2c on loopback in dev mode).</summary>
    public required IReadOnlyList<string> Urls { get; init; }

    public required IReadOnlyList<IssuerSettings> Issuers { get; init; }

    public required IReadOnlyList<LocalShellSettings> Targets { get; init; }

    /// <summary>The targets reached through AWS SSM Session Manager.</summary>
    public IReadOnlyList<Targets.ConfiguredSsmTarget> SsmTargets { get; init; } = [];

    /// <summary>Every target's limits by name, local and SSM.</summary>
    public IReadOnlyDictionary<string, Core.Sessions.SessionLimits> TargetLimits =>
        Targets.Select(t => (t.Name, t.Limits)).Concat(SsmTargets.Select(t => (t.Settings.Name, t.Settings.Limits))).ToDictionary(t => t.Name, t => t.Limits, StringComparer.Ordinal);

    public required IAccessPolicy Access { get; init; }

    /// <summary>Largest gRPC message accepted at all; frames above the session's own input limit are rejected with a notice.</summary>
    public int MaxReceiveMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How recordings are written (flush interval, sync, checkpoints).</summary>
    public Recorder.RecordingWriterOptions Recording { get; init; } = new();

    /// <summary>How long recordings are kept after their session started; null keeps them forever.</summary>
    public TimeSpan? RecordingRetention { get; init; }

    /// <summary>How often recordings past retention are looked for.</summary>
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Live records buffered per observer before it must catch up from the recording file.</summary>
    public int AttachBufferEvents { get; init; } = 64;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a session outlives its caller's expired token without a renewal (a notice is sent when it expires).</summary>
    public TimeSpan TokenGracePeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How STS is reached (from the policy's <c>sts</c> section).</summary>
    public Broker.Policy.StsDefinition Sts { get; init; } = new();

    /// <summary>Lines for the start-up log: what account each target runs its sessions as, what was fixed in the data directory; warnings where there is no boundary.</summary>
    public IReadOnlyList<(string Text, bool Warning)> StartupNotes { get; init; } = [];

    /// <summary>The dev issuer (with <c>--dev</c>), its key read once at start.</summary>
    public Broker.Identity.Dev.DevIssuer? DevIssuer { get; init; }

    /// <summary>The broker's own AWS credentials for AssumeRole; null for the SDK's default chain (environment, profile, instance role).</summary>
    public Amazon.Runtime.AWSCredentials? AwsBaseCredentials { get; init; }

    /// <summary>TLS, plaintext permission, connection limits and recording storage (the policy's <c>server</c> section).</summary>
    public Broker.Policy.ServerDefinition Server { get; init; } = new();

    /// <summary>The recording signing key's path: the configured one, or <c>recording-key.pem</c> in the data directory.</summary>
    public string SigningKeyPath => Server.Recording.SigningKey ?? Path.Combine(DataDirectory, "recording-key.pem");
}
