using System.Text;
using Broker.Policy.Commands;

namespace Broker.Policy.Tests;

/// <summary>
/// A script is decided command by command as the parser reads it (nothing of a large script is held whole): the
/// parser hands its commands over in order, a second reading voids the first, and the engine's verdict, reason and
/// facts are those of the whole script.
/// </summary>
public sealed class StreamedDecisionTests
{
    public static TheoryData<string> Scripts => new()
    {
        "ls -la",
        "echo $(whoami) `date` | tr a-z A-Z > out.txt",
        "for f in src/*.c; do wc -l \"$f\" | sort; done && cat <(ls) <<EOF\n$(id)\nEOF",
        "case $1 in a) echo $(pwd);; *) ls;; esac; x=1; echo ${x:-$(hostname)}",
        "if test -f a; then cat a; else { ls; (cd /tmp && ls); }; fi",
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public void A_sink_gets_the_same_commands_in_the_same_order_as_the_parse_result(string script)
    {
        var sink = new RecordingSink();
        var streamed = ShellParser.Parse(script, sink);
        var whole = ShellParser.Parse(script);

        streamed.Succeeded.Should().BeTrue(streamed.Error);
        whole.Succeeded.Should().BeTrue(whole.Error);
        streamed.Script!.Commands.Should().BeEmpty("the commands went to the sink");
        sink.Restarts.Should().Be(0);
        Describe(sink.Commands).Should().Equal(Describe(whole.Script!.Commands));
        streamed.Script.Constructs.Should().Equal(whole.Script.Constructs);
    }

    [Fact]
    public void A_script_read_a_second_time_restarts_the_sink_and_keeps_only_the_second_reading()
    {
        // $x relies on x=a, but x is assigned again: the parser reads the script again without relying on it.
        const string script = "x=a; echo $x; x=b";
        var sink = new RecordingSink();

        var streamed = ShellParser.Parse(script, sink);

        streamed.Succeeded.Should().BeTrue();
        sink.Restarts.Should().Be(1);
        Describe(sink.Commands).Should().Equal(Describe(ShellParser.Parse(script).Script!.Commands));
        sink.Commands.Should().HaveCount(3);
    }

    [Fact]
    public void A_large_script_is_decided_by_its_strictest_command_wherever_it_is()
    {
        var allowed = Lines("grep -n 'pattern {0}' src/file{0}.c | head -3", 20_000);

        DevPolicy.Decide(allowed).Verdict.Should().Be(Verdict.Allow);
        var atEnd = DevPolicy.Decide(allowed + "cat ~/.ssh/id_rsa\n");
        atEnd.Verdict.Should().Be(Verdict.Deny);
        atEnd.RuleId.Should().Be(PolicyEngine.ProtectedPathRuleId);
        var atStart = DevPolicy.Decide("cat ~/.ssh/id_rsa\n" + allowed);
        atStart.Should().BeEquivalentTo(atEnd, "where the command is does not change the decision");
    }

    [Fact]
    public void On_a_tie_the_first_strictest_command_gives_the_reason()
    {
        var decision = DevPolicy.Decide("ls\ncat ~/.ssh/id_rsa\nls\ncat /etc/shadow\n");

        decision.Verdict.Should().Be(Verdict.Deny);
        decision.Reason.Should().Contain("~/.ssh/id_rsa").And.NotContain("/etc/shadow");
    }

    [Fact]
    public void The_facts_of_a_large_script_list_each_program_and_effect_once_in_the_order_first_met()
    {
        var decision = DevPolicy.Decide(Lines("cat src/a.c; wc -l src/b{0}.c", 5_000));

        decision.Facts.Programs.Should().Equal("cat", "wc");
        decision.Facts.Effects.Should().HaveCount(5_001).And.OnlyHaveUniqueItems();
        decision.Facts.Effects[0].Should().Contain("src/a.c");
        decision.Facts.Effects[1].Should().Contain("src/b0.c");
    }

    [Fact]
    public void The_directory_after_a_script_follows_its_cds_in_order()
    {
        var engine = new PolicyEngine(DevPolicy.Document);

        var after = engine.ContextAfter(CommandInput.Script(Lines("ls src/{0}", 1_000) + "cd src\ncd lib\n").In(DevPolicy.Context));

        after.WorkingDirectories.Should().Contain("/home/agent/project/src/lib");
    }

    private static string Lines(string format, int count)
    {
        var script = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            script.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, format, i).Append('\n');
        }

        return script.ToString();
    }

    private static List<string> Describe(IEnumerable<SimpleCommand> commands) =>
        commands.Select(c => string.Join(" | ", c.Words.Select(w => $"{w.Value}:{w.IsLiteral}:{w.Pattern}"))
            + " # " + string.Join(",", c.Constructs) + " # " + string.Join(",", c.Redirects.Select(r => r.Target.Value)) + " # " + c.IsWordList).ToList();

    private sealed class RecordingSink : IShellCommandSink
    {
        public List<SimpleCommand> Commands { get; } = [];

        public int Restarts { get; private set; }

        public void Add(SimpleCommand command) => Commands.Add(command);

        public void Restart()
        {
            Commands.Clear();
            Restarts++;
        }
    }
}
