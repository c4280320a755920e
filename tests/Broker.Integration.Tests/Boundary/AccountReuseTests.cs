using System.Globalization;
using Broker.Core.Accounts;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;

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

    [SkippableFact]
    public async Task A_session_that_left_its_home_as_it_found_it_is_not_cleaned_and_one_that_did_not_is()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var client = _broker.Client(_broker.Token($"pristine-{Guid.NewGuid():n}"));
        // The home's modification time (nanoseconds) changes when the cleaner empties it and makes a fresh tmp.
        const string look = "id -u; stat -c '%a %y' ~; ls -A ~ ~/tmp | tr '\\n' ' '; echo";

        var first = await RunThenWaitUntilCleanAsync(client, look);
        var untouched = await RunThenWaitUntilCleanAsync(client, look + "; chmod 711 ~; touch ~/tmp/.left ~/.profile");
        var cleaned = await RunThenWaitUntilCleanAsync(client, look);

        // The same identity gets its own clean account back each time.
        untouched[0].Should().Be(first[0]);
        cleaned[0].Should().Be(first[0]);
        untouched[1].Should().Be(first[1], "a session that changed nothing in its home leaves it as it was: no cleaner ran");
        cleaned[1].Should().StartWith("700 ").And.NotBe(untouched[1], "the files and the mode the second session left were cleaned away");
        cleaned[2].Should().Be(first[2]).And.NotContain(".left").And.NotContain(".profile");
    }

    private static async Task<string[]> RunThenWaitUntilCleanAsync(SessionService.SessionServiceClient client, string script)
    {
        var result = await ExecResult.RunScriptAsync(client, script);
        result.Exit!.Code.Should().Be(0, result.StderrText);
        var lines = result.StdoutText.Split('\n');
        await WaitUntilCleanAsync(uint.Parse(lines[0], CultureInfo.InvariantCulture));
        return lines;
    }

    private static async Task WaitUntilCleanAsync(uint uid)
    {
        var lease = Path.Combine(SessionAccountSettings.DefaultRoot, "leases", uid.ToString(CultureInfo.InvariantCulture));
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!await IsCleanAsync(lease, limit.Token))
        {
            await Task.Delay(50, limit.Token);
        }
    }

    private static async Task<bool> IsCleanAsync(string lease, CancellationToken cancellationToken)
    {
        try
        {
            return (await File.ReadAllTextAsync(lease, cancellationToken)).StartsWith("clean", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            // Not there yet, or the broker holds it locked while it rewrites it: look again.
            return false;
        }
    }
}
