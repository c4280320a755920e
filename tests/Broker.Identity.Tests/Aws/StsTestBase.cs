using Amazon.Runtime;
using Amazon.SecurityToken;
using Broker.Identity.Aws;
using Broker.Policy;
using Broker.DevServices.Sts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Identity.Tests.Aws;

public abstract class StsTestBase : IAsyncLifetime
{
    protected const string RoleArn = "arn:aws:iam::123456789012:role/agent-deployer";
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    protected static readonly CallerIdentity Agent = new(
        "https://idp.test",
        "ci-agent",
        new Dictionary<string, IReadOnlyList<string>> { ["sub"] = ["ci-agent"] });

    private readonly List<IDisposable> _owned = [];

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected StsEmulator Sts { get; private set; } = null!;

    protected static AwsRoleSettings Role => new()
    {
        RoleArn = RoleArn,
        Duration = TimeSpan.FromMinutes(15),
    };

    public async Task InitializeAsync() => Sts = await StsEmulator.StartAsync(Time).WaitAsync(Timeout);

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        await Sts.DisposeAsync();
    }

    protected AwsCredentialBroker NewBroker(AWSCredentials? credentials = null, Uri? serviceUrl = null)
    {
        var broker = new AwsCredentialBroker(
            new StsSettings { ServiceUrl = serviceUrl ?? Sts.ServiceUrl, Region = "eu-west-1", RequestTimeout = TimeSpan.FromSeconds(5) },
            credentials ?? new BasicAWSCredentials(Sts.BaseCredentials.AccessKeyId, Sts.BaseCredentials.SecretAccessKey),
            Time,
            NullLogger<AwsCredentialBroker>.Instance);
        _owned.Add(broker);
        return broker;
    }

    protected AmazonSecurityTokenServiceClient StsClient(AWSCredentials credentials)
    {
        var client = new AmazonSecurityTokenServiceClient(credentials, new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = Sts.ServiceUrl.AbsoluteUri,
            AuthenticationRegion = "eu-west-1",
            MaxErrorRetry = 0,
        });
        _owned.Add(client);
        return client;
    }

    protected static SessionAWSCredentials ToAws(SessionCredentials credentials) =>
        new(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken);
}
