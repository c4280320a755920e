using System.Buffers;
using System.Globalization;
using System.Text;
using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Integration.Tests.Fixtures;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Interactive;
using Recorder;

namespace Broker.Integration.Tests.Policy;

/// <summary>
/// The raw-terminal auditor keeps what is typed at one prompt up to the line editor's cap; past it, the record says
/// the line was cut (with the start of what it kept, and no verdict of its own). On a real recording file; the shell's markers are fed as bytes.
/// </summary>
public sealed class RawCommandAuditorTests : IDisposable
{
    private const int Max = CommandLineAssembler.MaxCommandBytes;

    private static readonly PolicyDocument Document = PolicyLoader.Parse(
        """
        version: 1
        issuers:
          - issuer: broker-dev
            audience: broker
        targets:
          - name: local
        identities:
          - issuer: broker-dev
            roles: [open]
        roles:
          - name: open
            targets: [local]
            rules:
              - id: anything
                allow: {programs: ["*"]}
        """,
        "inline.yaml").Document!;

    private readonly JournalFile _file = new();
    private readonly ShellIntegration _integration = ShellIntegration.CreateForAudit();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_line_longer_than_the_audit_keeps_is_recorded_as_cut_and_the_next_line_as_usual()
    {
        var commands = await AuditAsync(
            ["echo start-" + new string('a', Max) + "\r"],
            ["ls\r"]);

        commands.Should().HaveCount(2);
        // The line editor drops a command whole at its cap, so the record keeps none of it: its keys are in the input records.
        commands[0].Text.Should().EndWith($"[cut: the line was longer than {Max} bytes]");
        commands[0].Text.Length.Should().BeLessThan(200);
        commands[0].Decision.Should().Be("deny");
        commands[0].Reason.Should().Contain("not decided");
        commands[1].Text.Should().Be("ls");
        commands[1].Decision.Should().Be("allow");
    }

    [Fact]
    public async Task Many_lines_typed_at_one_prompt_are_kept_up_to_the_cap_and_recorded_as_cut()
    {
        var line = "echo " + new string('b', 64 * 1024) + "\r";

        var commands = await AuditAsync(Enumerable.Repeat(line, (Max / line.Length) + 2).ToArray());

        commands.Should().ContainSingle().Which.Text.Should().StartWith("echo bbb").And.EndWith($"[cut: the line was longer than {Max} bytes]");
        commands[0].Decision.Should().Be("deny");
    }

    [Fact]
    public async Task A_line_within_the_cap_is_decided_whole()
    {
        var text = "echo " + new string('c', 100_000);

        var commands = await AuditAsync([text + "\r"]);

        commands.Should().ContainSingle().Which.Text.Should().Be(text);
        commands[0].Reason.Should().StartWith("audited, not enforced");
    }

    /// <summary>Each prompt's keys are typed between the shell's prompt-end and command-start markers; returns the command records.</summary>
    private async Task<List<CommandRecord>> AuditAsync(params string[][] prompts)
    {
        var journal = _file.Open();
        var auditor = new RawCommandAuditor(_integration, new PolicyAccess(Document), new SessionRoles(["open"]), journal);
        var markers = auditor.CreateMarkerFilter();
        var screen = new Screen();
        foreach (var keys in prompts)
        {
            markers.Push(OutputChannel.Terminal, Marker('A', 0), screen);
            markers.Push(OutputChannel.Terminal, Marker('B'), screen);
            foreach (var chunk in keys)
            {
                auditor.Keys(Encoding.UTF8.GetBytes(chunk));
            }

            markers.Push(OutputChannel.Terminal, Marker('C'), screen);
        }

        journal.Ended(new SessionEvent.Ended(0, 0, SessionEndReason.Exited));
        await journal.CompleteAsync().WaitAsync(JournalFile.Timeout);
        await journal.WriterClosed.WaitAsync(JournalFile.Timeout);
        screen.Written.Should().Be(0, "markers carrying the session's nonce never reach the screen");
        return [.. (await _file.ReadSealedAsync()).OfType<CommandEvent>().Select(c => c.Command)];
    }

    private byte[] Marker(char kind, int? status = null) => Encoding.ASCII.GetBytes(
        $"\u001b]133;{kind};{_integration.Nonce}{(status is { } s ? ";" + s.ToString(CultureInfo.InvariantCulture) : string.Empty)}\u0007");

    private sealed class Screen : IOutputSink
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public int Written => _bytes.WrittenCount;

        public IBufferWriter<byte> Channel(OutputChannel channel) => _bytes;
    }
}
