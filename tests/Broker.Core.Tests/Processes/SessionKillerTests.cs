using System.Text;
using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

public sealed class SessionKillerTests
{
    [Theory]
    [InlineData("1234 (bash) S 1 1234 1234 34816 1234 4194560", 1234)]
    [InlineData("77 (a) b) c) R 1 77 4321 0 -1", 4321)]
    [InlineData("77 (x y z) S 1 77 99 0 -1", 99)]
    [InlineData("77 ()) S 1 77 55 0 -1", 55)]
    [InlineData("77 (\n) S 1 77 56 0 -1", 56)]
    [InlineData("77 (S 1 2 3) S 1 77 57 0 -1", 57)]
    public void The_session_id_is_read_after_the_last_parenthesis_whatever_the_command_name(string stat, int session)
    {
        SessionKiller.ParseSessionId(Encoding.UTF8.GetBytes(stat)).Should().Be(session);
    }

    [Theory]
    [InlineData("1234 (bash) Z 1 1234 1234 0 -1")]
    [InlineData("1234 (bash) X 1 1234 1234 0 -1")]
    [InlineData("1234 (bash) S 1 1234")]
    [InlineData("1234 (bash) S 1 1234 12x4 0")]
    [InlineData("1234 (bash) S 1 1234 -5x 0")]
    [InlineData("1234 bash S 1 1234 1234 0")]
    [InlineData("1234 (bash)")]
    [InlineData("1234 (bash) ")]
    [InlineData("")]
    [InlineData("1234 (bash) SS 1 1234 1234 0")]
    public void Zombies_and_malformed_lines_belong_to_no_session(string stat)
    {
        SessionKiller.ParseSessionId(Encoding.UTF8.GetBytes(stat)).Should().Be(-1);
    }

    [Fact]
    public void The_broker_itself_is_found_in_its_own_session()
    {
        var self = Environment.ProcessId;
        var stat = File.ReadAllText($"/proc/{self}/stat");
        var session = SessionKiller.ParseSessionId(Encoding.UTF8.GetBytes(stat));
        session.Should().BeGreaterThan(0);
        SessionKiller.FindMembers(session).Should().Contain(self);
    }
}
