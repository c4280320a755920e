using Broker.Core.Accounts;

namespace Broker.Core.Tests.Accounts;

public sealed class LeaseStateTests
{
    [Fact]
    public void A_state_reads_back_as_it_was_written()
    {
        var state = new LeaseState(LeaseStatus.Clean, "0123456789abcdef0123456789abcdef", 1_780_000_000);

        state.Format().Should().Be("clean 0123456789abcdef0123456789abcdef 1780000000\n");
        LeaseState.Parse(state.Format()).Should().Be(state);
    }

    [Fact]
    public void A_lease_used_by_nobody_yet_records_no_identity()
    {
        var state = new LeaseState(LeaseStatus.Leased, "", 0);

        state.Format().Should().Be("leased - 0\n");
        LeaseState.Parse(state.Format()).Should().Be(state);
    }

    [Theory]
    [InlineData("")]
    [InlineData("clean abc")]
    [InlineData("dirty abc 5")]
    [InlineData("clean abc -5")]
    [InlineData("clean abc 5 extra")]
    public void Anything_else_is_no_state(string text) => LeaseState.Parse(text).Should().BeNull();

    [Fact]
    public void Identities_are_known_by_a_hash_that_tells_issuers_apart()
    {
        var one = SessionAccountPool.IdentityKey(new Broker.Core.Sessions.SessionOwner("https://a.example", "alice"));
        var other = SessionAccountPool.IdentityKey(new Broker.Core.Sessions.SessionOwner("https://b.example", "alice"));

        one.Should().MatchRegex("^[0-9a-f]{32}$").And.NotBe(other).And.NotContain("alice");
        SessionAccountPool.IdentityKey(new Broker.Core.Sessions.SessionOwner("https://a.example", "alice")).Should().Be(one);
    }
}
