using Amazon.Runtime;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Configuration;
using Broker.DevServices.Sts;
using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Api;

namespace Broker.Integration.Tests.Ssm;

/// <summary>
/// The broker with an <c>ssm</c> target on a real SSM emulator (SigV4 checked, a real PTY shell as the instance),
/// each session's role assumed through a real STS emulator. The SSM emulator knows no key of its own: it accepts
/// only the temporary keys the STS emulator issued, so a call signed with anything but a session's assumed-role
/// credential is refused.
/// </summary>
public sealed class SsmBrokerFixture : BrokerFixture
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/ssm-operator";

    public StsEmulator Sts { get; private set; } = null!;

    public SsmEmulator Ssm { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Sts = await StsEmulator.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Ssm = await SsmEmulator.StartAsync(new SsmEmulatorOptions { Shell = "/bin/bash" }).WaitAsync(TimeSpan.FromSeconds(30));
        Ssm.Credentials.TrustIssuer(id => Sts.AssumeRoleCalls.FirstOrDefault(c => c.Issued.AccessKeyId == id)?.Issued is { } issued
            ? new EmulatorCredential(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken)
            : null);
        var policy = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Ssm", "ssm-policy.yaml"));
        PolicyYaml = policy
            .Replace("STS_URL", Sts.ServiceUrl.AbsoluteUri, StringComparison.Ordinal)
            .Replace("SSM_URL", Ssm.ServiceUrl.AbsoluteUri, StringComparison.Ordinal)
            .Replace("INSTANCE_ID", Ssm.Options.Instances[0].InstanceId, StringComparison.Ordinal);
        await base.InitializeAsync();
    }

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with
    {
        AwsBaseCredentials = new BasicAWSCredentials(Sts.BaseCredentials.AccessKeyId, Sts.BaseCredentials.SecretAccessKey),
    };

    /// <summary>The credential STS issued for broker session <paramref name="sessionId"/> (its AssumeRole calls carry the session tag).</summary>
    public IReadOnlyList<StsPrincipal> IssuedFor(string sessionId) =>
        [.. Sts.AssumeRoleCalls.Where(c => c.Tags.TryGetValue("session", out var s) && s == sessionId).Select(c => c.Issued)];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        // Bounded: a stop that hangs fails the fixture instead of the whole run.
        await Ssm.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await Sts.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
    }
}
