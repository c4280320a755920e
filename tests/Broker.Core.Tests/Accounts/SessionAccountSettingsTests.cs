using Broker.Core.Accounts;

namespace Broker.Core.Tests.Accounts;

public sealed class SessionAccountSettingsTests
{
    [Fact]
    public void The_default_pool_is_valid_and_names_its_accounts_and_homes_by_uid()
    {
        var settings = new SessionAccountSettings();

        settings.Validate().Should().BeEmpty();
        settings.NameOf(70_000).Should().Be("broker-s0");
        settings.NameOf(70_999).Should().Be("broker-s999");
        settings.HomeOf(70_042).Should().Be("/var/lib/broker-sessions/homes/broker-s42");
        settings.LeasesDirectory.Should().Be("/var/lib/broker-sessions/leases");
    }

    [Theory]
    [InlineData("Broker", 70_000u, 10, "/x", "prefix 'Broker'")]
    [InlineData("a-very-long-prefix-for-names", 70_000u, 10, "/x", "at most 20")]
    [InlineData("b", 500u, 10, "/x", "uids 500-509 must lie between 1000")]
    [InlineData("b", 70_000u, 0, "/x", "count 0 must be between 1 and 100000")]
    [InlineData("b", 70_000u, 10, "relative", "root 'relative' must be an absolute path")]
    [InlineData("b", 70_000u, 10, "/var/../etc", "without '..'")]
    public void A_bad_pool_is_refused_with_the_reason(string prefix, uint first, int count, string root, string problem)
    {
        var settings = new SessionAccountSettings { Prefix = prefix, FirstUid = first, Count = count, Root = root };

        settings.Validate().Should().ContainSingle().Which.Should().Contain(problem);
    }
}
