using System.Buffers;
using System.Text;
using Broker.Core.Sessions;
using Broker.Core.Interactive;
using Broker.Ssm.Interactive;

namespace Broker.Ssm.Tests.Interactive;

public sealed class RemoteShellScriptsTests
{
    [Fact]
    public void The_lines_the_remote_shell_reads_itself_carry_no_secret()
    {
        var integration = ShellIntegration.Create();
        var sync = RemoteShellScripts.SyncToken(integration);

        foreach (var line in new[] { RemoteShellScripts.ProbeLine("tag"), RemoteShellScripts.ExecLine("tag", enforced: true), RemoteShellScripts.RestoreLine("tag") })
        {
            line.Should().NotContain(integration.Nonce).And.NotContain(sync);
            line.Should().StartWith(" ", "a leading space keeps a line out of history where HISTCONTROL ignores spaces");
            line.Should().EndWith("\n").And.Subject.Count(c => c == '\n').Should().Be(1);
        }
    }

    [Fact]
    public void The_sync_token_is_the_one_of_the_sessions_sync_line()
    {
        var integration = ShellIntegration.Create();

        Encoding.ASCII.GetString(integration.SyncLine.Span).Should().Be("\n" + RemoteShellScripts.SyncToken(integration) + "\n");
    }

    [Fact]
    public void The_script_ends_with_the_nul_that_ends_its_read_and_unsets_the_variable_that_held_it_first()
    {
        var input = RemoteShellScripts.ScriptInput(ShellIntegration.Create(), "tag");

        input[^2..].Should().Equal(0, (byte)'\n');
        Encoding.UTF8.GetString(input).Should().StartWith("unset __b\n");
        input[..^2].Should().NotContain((byte)0);
    }

    [Fact]
    public void The_line_mode_script_prints_markers_the_sessions_marker_filter_recognises()
    {
        var integration = ShellIntegration.Create();
        var script = Encoding.UTF8.GetString(RemoteShellScripts.ScriptInput(integration, "tag"));
        var markers = new List<ShellMarker>();
        var filter = new ShellMarkerFilter(integration.Nonce, markers.Add);
        var output = new TerminalOutput();

        // What the script's printf and prompt strings produce, expanded as bash would (PS0's line end included).
        var printed = $"\u001b]133;A;{integration.Nonce};0\u0007bash-5.2$ \u001b]133;B;{integration.Nonce}\u0007\n\u001b]133;C;{integration.Nonce}\u0007";
        filter.Push(OutputChannel.Terminal, Encoding.ASCII.GetBytes(printed), output);

        script.Should().Contain($"printf '\\033]133;A;%s;%s\\007' '{integration.Nonce}' \"$status\"")
            .And.Contain($"$'\\e]133;B;{integration.Nonce}\\a'")
            .And.Contain($"$'\\n\\e]133;C;{integration.Nonce}\\a'")
            .And.Contain(RemoteShellScripts.SyncToken(integration));
        markers.Select(m => m.Kind).Should().Equal(ShellMarkerKind.PromptStart, ShellMarkerKind.PromptEnd, ShellMarkerKind.CommandStart);
        Encoding.ASCII.GetString(output.Bytes.WrittenSpan).Should().Be("bash-5.2$ \n", "the line end after the command is the agent's, as a local terminal's echo");
    }

    [Fact]
    public void The_audit_script_keeps_line_editing_and_needs_no_sync_line()
    {
        var integration = ShellIntegration.CreateForAudit();
        var script = Encoding.UTF8.GetString(RemoteShellScripts.ScriptInput(integration, "tag"));

        RemoteShellScripts.ExecLine("tag", enforced: false).Should().NotContain("--noediting");
        script.Should().Contain("stty echo").And.NotContain("read -r line");
    }

    /// <summary>A terminal's one channel, collected.</summary>
    private sealed class TerminalOutput : IOutputSink
    {
        public ArrayBufferWriter<byte> Bytes { get; } = new();

        public IBufferWriter<byte> Channel(OutputChannel channel) => Bytes;
    }
}
