using System.Globalization;
using Broker.Core.Accounts;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Boundary;

/// <summary>The permissive broker whose 'local' target has a pool of its own: ten accounts broker-r0 to broker-r9.</summary>
public sealed class ReusePoolBrokerFixture : BrokerFixture
{
    public const uint FirstUid = 71500;

    public ReusePoolBrokerFixture()
    {
        var policy = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
        const string anchor = "    max_sessions_per_identity: 4\n";
        policy.Should().Contain(anchor);
        PolicyYaml = policy.Replace(anchor, anchor + $"    session_accounts: {{prefix: broker-r, uids: {FirstUid}-{FirstUid + 9}}}\n", StringComparison.Ordinal);
    }
}

/// <summary>
/// The account pool grows to the peak number of concurrent sessions, not to the number of identities it served: a
/// session of a new identity takes a free account another identity used (swept first) before the broker creates one.
/// </summary>
public sealed class AccountReuseTests : IClassFixture<ReusePoolBrokerFixture>
{
    private const int Sessions = 6;

    private readonly ReusePoolBrokerFixture _broker;

    public AccountReuseTests(ReusePoolBrokerFixture broker) => _broker = broker;

    [SkippableFact]
    public async Task Sequential_sessions_of_six_identities_reuse_one_account_rather_than_create_six()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var uids = new List<uint>();
        for (var i = 0; i < Sessions; i++)
        {
            var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"reuse-{i}-{Guid.NewGuid():n}")), "id -u");
            result.Exit!.Code.Should().Be(0, result.StderrText);
            var uid = uint.Parse(result.StdoutText.Trim(), CultureInfo.InvariantCulture);
            uid.Should().BeInRange(ReusePoolBrokerFixture.FirstUid, ReusePoolBrokerFixture.FirstUid + 9);
            uids.Add(uid);

            // The account is cleaned after the session's end reached the client; the next session starts once it is
            // back in the pool, so that only reuse (not an account still busy) is tested.
            await WaitUntilCleanAsync(uid);
        }

        // One account when this is the only run on the host; another run of this test at the same moment may hold it.
        uids.Distinct().Should().HaveCountLessThanOrEqualTo(2, $"six identities one after another need one account, not one each (got {string.Join(", ", uids)})");
    }

    private static async Task WaitUntilCleanAsync(uint uid)
    {
        var lease = Path.Combine(SessionAccountSettings.DefaultRoot, "leases", uid.ToString(CultureInfo.InvariantCulture));
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!(File.Exists(lease) && (await File.ReadAllTextAsync(lease, limit.Token)).StartsWith("clean", StringComparison.Ordinal)))
        {
            await Task.Delay(50, limit.Token);
        }
    }
}
