using System.Diagnostics;
using Broker.Core.Targets;
using Broker.Ssm.Targets;
using Broker.DevServices.Ssm.Agent;

namespace Broker.Ssm.Tests.Targets;

public sealed class RemoteCommandLineTests
{
    public static TheoryData<string[]> Words => new()
    {
        new[] { "echo", "hello world" },
        new[] { "printf", "%s\\n", "it's", "\"quoted\"", "$(not run)", "`nor this`", "back\\slash" },
        new[] { "grep", "-e", "#not a comment", "--", "", "tab\there", "new\nline" },
    };

    [Theory]
    [MemberData(nameof(Words))]
    public void A_quoted_word_is_split_back_into_itself_as_the_agent_splits_command_lines(string[] argv)
    {
        var line = string.Join(' ', argv.Select(RemoteCommandLine.Quote));

        Shlex.Split(line).Should().Equal(argv);
    }

    [Theory]
    [MemberData(nameof(Words))]
    public async Task A_quoted_word_reaches_a_program_unchanged_through_a_posix_shell(string[] argv)
    {
        // bash is the oracle for quoting: printf prints each argument it receives, NUL-terminated.
        var line = "printf '%s\\0' " + string.Join(' ', argv.Select(RemoteCommandLine.Quote));
        using var bash = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", line]) { RedirectStandardOutput = true })!;
        var output = await bash.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        output.Split('\0')[..^1].Should().Equal(argv);
    }

    [Fact]
    public void An_argv_runs_under_a_wrapper_that_prints_its_exit_status_with_the_tag()
    {
        var line = RemoteCommandLine.Build(new TargetCommand.Argv(["ls", "-l"]), "bash", "abc")!;

        var words = Shlex.Split(line)!;
        words.Take(2).Should().Equal("sh", "-c");
        words[2].Should().Contain("\"$@\"").And.Contain("133;X;abc;%d");
        words.Skip(3).Should().Equal("sh", "ls", "-l");
    }

    [Fact]
    public void A_script_runs_with_the_script_shell()
    {
        var line = RemoteCommandLine.Build(new TargetCommand.Script("echo $HOME | wc -c"), "bash", "abc")!;

        Shlex.Split(line)!.Skip(3).Should().Equal("sh", "bash", "-c", "echo $HOME | wc -c");
    }

    [Fact]
    public void An_empty_argv_has_no_command_line()
    {
        RemoteCommandLine.Build(new TargetCommand.Argv([]), "bash", "abc").Should().BeNull();
    }
}
