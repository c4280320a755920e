using AgentClient.Mux;

namespace AgentClient.Tests.Mux;

public sealed class MuxArgumentsTests
{
    private static readonly Func<string, string?> NoVariables = _ => null;

    [Theory]
    [InlineData("sessions", "list")]
    [InlineData("shell", "--target", "local")]
    [InlineData("--help")]
    [InlineData("--frobnicate", "exec", "--", "true")]
    [InlineData("--broker")]
    [InlineData("--", "exec")]
    public void Only_an_exec_command_line_goes_to_a_master(params string[] args) =>
        MuxArguments.Read(args, NoVariables).Should().BeNull();

    [Fact]
    public void An_exec_is_forwarded_word_for_word_with_relative_files_made_absolute()
    {
        var request = MuxArguments.Read(["--token-file", "tok", "exec", "--target", "local", "--ca-file=ca.pem", "--", "cat", "--token-file", "x"], NoVariables);

        request.Should().NotBeNull();
        request!.Argv.Should().Equal("--token-file", Path.GetFullPath("tok"), "exec", "--target", "local", "--ca-file=" + Path.GetFullPath("ca.pem"), "--", "cat", "--token-file", "x");
    }

    [Fact]
    public void Only_the_variables_the_command_reads_are_sent()
    {
        var variables = new Dictionary<string, string> { ["BROKER_TOKEN"] = "t", ["HOME"] = "/root", ["AWS_SECRET_ACCESS_KEY"] = "s" };

        var request = MuxArguments.Read(["exec", "--", "true"], name => variables.GetValueOrDefault(name));

        request!.Environment.Should().Equal([new KeyValuePair<string, string>("BROKER_TOKEN", "t")]);
    }

    [Fact]
    public void The_broker_chooses_the_master_whether_given_as_a_flag_or_a_variable()
    {
        var byFlag = MuxArguments.Read(["--broker", "http://127.0.0.1:9", "exec", "--", "true"], NoVariables)!.Key;
        var byVariable = MuxArguments.Read(["exec", "--", "true"], name => name == "BROKER_URL" ? "http://127.0.0.1:9" : null)!.Key;
        var other = MuxArguments.Read(["exec", "--broker=http://127.0.0.1:10", "--", "true"], NoVariables)!.Key;

        byFlag.Should().Be(byVariable).And.NotBe(other);
        byFlag.Should().Be(MuxArguments.Key("http://127.0.0.1:9", null, null, null, NoVariables), "the master computes its key the same way");
    }

    [Fact]
    public void A_master_is_started_with_the_broker_and_tls_options_and_never_the_token()
    {
        var options = MuxArguments.MasterOptions(["--token", "secret", "--broker", "http://b", "exec", "--token-file=t", "--client-cert", "c.pem", "--", "--broker", "x"]);

        options.Should().Equal("--broker", "http://b", "--client-cert", Path.GetFullPath("c.pem"));
    }
}
