using System.Text.RegularExpressions;
using Broker.Integration.Tests.Fixtures;
using Broker.Integration.Tests.Identity;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// The attack of issue 12 on another session's AWS credentials: read its credentials-endpoint URI and token from
/// /proc/PID/environ, then ask the endpoint. With an account per session the environment is out of reach, and the
/// endpoint gives nothing without the token.
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed partial class CrossSessionCredentialTests : IClassFixture<AwsBrokerFixture>
{
    private readonly AwsBrokerFixture _broker;

    public CrossSessionCredentialTests(AwsBrokerFixture broker) => _broker = broker;

    [SkippableFact]
    public async Task Another_sessions_credentials_endpoint_gives_nothing_to_a_session_that_cannot_read_its_environment()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        await using var victim = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-victim-{Guid.NewGuid():n}")));
        await victim.SendAsync("echo pid=$$ uri=$AWS_CONTAINER_CREDENTIALS_FULL_URI\r");
        await victim.WaitUntilAsync(() => VictimPattern().IsMatch(victim.Output), "the victim's pid and endpoint");
        var match = VictimPattern().Match(victim.Output);
        var (pid, uri) = (match.Groups[1].Value, match.Groups[2].Value);
        // What the attacker is after, read here as the broker's account: the victim's token, and what it buys.
        var token = File.ReadAllText($"/proc/{pid}/environ").Split('\0').Single(e => e.StartsWith("AWS_CONTAINER_AUTHORIZATION_TOKEN=", StringComparison.Ordinal)).Split('=', 2)[1];
        await victim.SendAsync("curl -s -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" >/dev/null && echo fetched\r");
        await victim.WaitForOutputAsync("fetched", occurrences: 2);
        var issued = _broker.CallsFor(victim.Opened!.SessionId).Should().ContainSingle().Subject.Issued;

        // The attacker is told the endpoint's full URI (the worst case); the token it has to find.
        var attacker = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"agent-attacker-{Guid.NewGuid():n}")),
            $"tr '\\0' '\\n' < /proc/{pid}/environ; grep -a -r --include='env*' AWS /proc/{pid}/; "
            + $"t=$(tr '\\0' '\\n' < /proc/{pid}/environ | sed -n 's/^AWS_CONTAINER_AUTHORIZATION_TOKEN=//p'); "
            + $"curl -s -H \"Authorization: $t\" {uri}; curl -s {uri}; curl -s -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" {uri}; echo attack-done");

        var output = attacker.StdoutText + attacker.StderrText;
        output.Should().Contain("attack-done");
        output.Should().NotContain(token).And.NotContain(issued.AccessKeyId).And.NotContain(issued.SecretAccessKey).And.NotContain(issued.SessionToken!);
        output.Should().NotContain("AccessKeyId", "the endpoint answered no request with credentials");
    }

    [GeneratedRegex(@"pid=(\d+) uri=(http://127\.0\.0\.1:\d+/\S+)")]
    private static partial Regex VictimPattern();
}
