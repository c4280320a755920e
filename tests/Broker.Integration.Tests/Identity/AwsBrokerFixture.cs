using Amazon.Runtime;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Configuration;
using Broker.DevServices.Sts;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Identity;

/// <summary>
/// The broker with roles that assume IAM roles through a real STS emulator (SigV4 verified),
/// the emulator's <c>broker</c> user as the broker's base credentials. 'blocked-agent' maps to a
/// role whose AssumeRole the emulator refuses.
/// </summary>
public class AwsBrokerFixture : BrokerFixture
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/agent-readonly";
    public const string BlockedRoleArn = "arn:aws:iam::123456789012:role/not-trusted";

    public StsEmulator Sts { get; private set; } = null!;

    /// <summary>A clock shared by the broker and the emulator, or null for the system clock.</summary>
    public FakeTimeProvider? Clock { get; protected init; }

    /// <summary>An STS URL for the policy other than the emulator's, or null.</summary>
    public Uri? StsUrlOverride { get; protected init; }

    /// <summary>The target's per-identity session cap, or null for the default.</summary>
    public int? MaxSessionsPerIdentity { get; protected init; }

    public override async Task InitializeAsync()
    {
        Sts = await StsEmulator.StartAsync(Clock).WaitAsync(TimeSpan.FromSeconds(30));
        Sts.DenyRole(BlockedRoleArn);
        var policy = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Identity", "aws-policy.yaml"));
        PolicyYaml = policy.Replace("STS_URL", (StsUrlOverride ?? Sts.ServiceUrl).AbsoluteUri, StringComparison.Ordinal);
        if (MaxSessionsPerIdentity is { } cap)
        {
            PolicyYaml = PolicyYaml.Replace("    kind: local-shell\n", $"    kind: local-shell\n    max_sessions_per_identity: {cap}\n", StringComparison.Ordinal);
        }
        await base.InitializeAsync();
    }

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with
    {
        AwsBaseCredentials = new BasicAWSCredentials(Sts.BaseCredentials.AccessKeyId, Sts.BaseCredentials.SecretAccessKey),
        Time = Clock ?? settings.Time,
    };

    /// <summary>The AssumeRole calls made for broker session <paramref name="sessionId"/>.</summary>
    public IReadOnlyList<StsAssumeRoleCall> CallsFor(string sessionId) =>
        [.. Sts.AssumeRoleCalls.Where(c => c.Tags.TryGetValue("session", out var s) && s == sessionId)];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Sts.DisposeAsync();
    }
}

/// <summary>The same broker on a fake clock, so credentials can be made due for refresh.</summary>
public sealed class FakeClockAwsBrokerFixture : AwsBrokerFixture
{
    public FakeClockAwsBrokerFixture()
    {
        Clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
    }
}

/// <summary>The same broker with one session per identity.</summary>
public sealed class CappedAwsBrokerFixture : AwsBrokerFixture
{
    public CappedAwsBrokerFixture()
    {
        MaxSessionsPerIdentity = 1;
    }
}

/// <summary>The broker with an STS endpoint nothing listens on.</summary>
public sealed class UnreachableStsBrokerFixture : AwsBrokerFixture
{
    public UnreachableStsBrokerFixture()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        StsUrlOverride = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/");
    }
}
