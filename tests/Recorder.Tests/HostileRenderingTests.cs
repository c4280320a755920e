using System.Text;
using Recorder.Format;
using Recorder.Tests.Support;
using Replay.Cli;

namespace Recorder.Tests;

/// <summary>
/// What an auditor sees of a recording whose every text field an agent (or a forger) wrote: each
/// field is there, as visible text, and nothing in any command's output or error would act on the
/// auditor's terminal or hide text.
/// </summary>
public sealed class HostileRenderingTests : IDisposable
{
    /// <summary><see cref="CraftedRecordings.Hostile"/> as it must appear.</summary>
    private const string Shown = "\\e]52;c;cHduZWQ=\\a\\e]0;owned\\a\\r\\e[2K\\u009b2J\\u202egnp.exe";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("replay-hostile-");
    private readonly RecordingSigningKey _key = Regressions.Key();
    private readonly Dictionary<string, string?> _environment = [];

    public HostileRenderingTests() => _environment["BROKER_RECORDING_PUBLIC_KEY"] = _key.ExportPublicKeyPem();

    private static string File => Regressions.PathOf("hostile-text-in-every-field");

    public void Dispose()
    {
        _key.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Info_shows_every_header_field_as_text()
    {
        var info = await RunAsync("info", File);

        Safe(info);
        info.Output.Should().Contain($"session    s-{Shown}")
            .And.Contain($"subject    agent{Shown} (issuer https://idp{Shown})")
            .And.Contain($"roles      dev{Shown}, ops\\e[8m")
            .And.Contain($"target     web{Shown} (shell{Shown})")
            .And.Contain("terminal   100x30 xterm\\e]2;t\\a")
            .And.Contain($"broker     1.0{Shown}")
            .And.Contain($"commands   1 (review{Shown} 1)")
            .And.Contain($"exit       1 (terminated by op: {Shown})")
            .And.Contain("integrity  intact and sealed");
    }

    [Fact]
    public async Task Commands_shows_every_command_and_approval_field_as_text()
    {
        var commands = await RunAsync("commands", File);

        Safe(commands);
        var lines = commands.Output.Split('\n');
        lines[0].Should().Be($"#1    +00:00:00.010  review{Shown} exit 3    cmd {Shown}");
        lines[1].Should().Be($"                      rule rule{Shown}: reason{Shown}");
        lines[2].Should().Be($"      +00:00:00.010  approval ap{Shown} requested for #1");
        lines[3].Should().Be($"      +00:00:00.010  approval ap{Shown} for #1: approve{Shown} by alice{Shown} (why{Shown})");
        lines[4].Should().Be($"      +00:00:00.010  session exit 1: terminated by op: {Shown}");
    }

    [Fact]
    public async Task Search_shows_matching_lines_of_every_kind_as_text()
    {
        var search = await RunAsync("search", "gnp|52", File);

        Safe(search);
        search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3)
            .And.Contain($"s-{Shown} +00:00:00.010 command: #1 $ cmd {Shown} [review{Shown}, rule rule{Shown}: reason{Shown}]")
            .And.Contain("s-" + Shown + " +00:00:00.000 output: output \\u202egnp.exe", "output loses its escape sequences, and what hides text is shown")
            .And.Contain("s-" + Shown + " +00:00:00.000 input: \\u202egnp.exe", "typed input is cut into lines at each carriage return, as Enter sends one");
    }

    [Fact]
    public async Task The_text_export_shows_every_field_as_text()
    {
        var export = await RunAsync("export", File, "--format", "text");

        Safe(export);
        export.Output.Should().Contain($"# subject agent{Shown} (issuer https://idp{Shown}), roles dev{Shown},ops\\e[8m")
            .And.Contain($"] notice kind{Shown}: message{Shown}")
            .And.Contain($"] marker marker{Shown}")
            .And.Contain($"] masked detector{Shown}=1")
            .And.Contain($"] exit 1: terminated by op: {Shown}")
            .And.Contain("| output \\u202egnp.exe");
    }

    [Fact]
    public async Task Asciicast_markers_are_text_and_the_output_carries_no_sequence_that_acts_outside_the_screen()
    {
        var export = await RunAsync("export", File, "--format", "asciicast-v3");

        var events = export.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        events.Where(e => e[1].GetString() == "m").Select(e => e[2].GetString()!).Should().Contain($"notice kind{Shown}: message{Shown}");
        foreach (var output in events.Where(e => e[1].GetString() == "o").Select(e => e[2].GetString()!))
        {
            TerminalOutput.FindOutsideTheScreen(Encoding.UTF8.GetBytes(output)).Should().BeNull();
        }
    }

    [Fact]
    public async Task Verify_shows_a_verdict_that_quotes_the_file_as_text()
    {
        var damaged = await WithApprovalKindAsync("quoted.brkrec", "\\u001b]52;c;eA==\\u0007");

        var verify = await RunAsync("verify", damaged);

        Safe(verify);
        verify.Code.Should().Be(ExitCodes.Tampered);
        verify.Output.Should().Contain("unknown approval kind '\\e]52;c;eA==\\a'");
    }

    [Fact]
    public async Task A_file_name_chosen_to_attack_the_terminal_is_shown_as_text()
    {
        var store = _directory.CreateSubdirectory("store");
        var evil = Path.Combine(store.FullName, "s-1\u001b]2;owned\u0007.brkrec");
        await System.IO.File.WriteAllBytesAsync(evil, await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession));

        var verify = await RunAsync("verify", store.FullName);
        var commands = await RunAsync("commands", store.FullName + "/..");

        Safe(verify);
        Safe(commands);
        verify.Output.Should().Contain("s-1\\e]2;owned\\a.brkrec: intact and sealed");
    }

    [Fact]
    public async Task A_directory_holding_a_named_pipe_is_verified_without_waiting_on_the_pipe()
    {
        var store = _directory.CreateSubdirectory("with-pipe");
        await System.IO.File.WriteAllBytesAsync(Path.Combine(store.FullName, "a.brkrec"), await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession));
        var (made, _, error) = await ExternalProcess.RunAsync("mkfifo", Path.Combine(store.FullName, "b.brkrec"));
        made.Should().Be(0, error);

        var verify = await RunAsync("verify", store.FullName);

        verify.Code.Should().Be(ExitCodes.Success);
        verify.Output.Should().StartWith($"{Path.Combine(store.FullName, "a.brkrec")}: intact and sealed").And.EndWith("\n");
        verify.Output.Count(c => c == '\n').Should().Be(1, "the pipe is no recording");
    }

    [Fact]
    public async Task Damage_warnings_quote_the_file_as_text()
    {
        var damaged = await WithApprovalKindAsync("warned.brkrec", "\\u009b2J\\u001b[c");

        var commands = await RunAsync("commands", damaged);

        Safe(commands);
        commands.Error.Should().Contain("unknown approval kind '\\u009b2J\\e[c'");
    }

    private static void Safe((int Code, string Output, string Error) run)
    {
        HostileText.FindUnsafe(run.Output, allowTab: true).Should().BeNull();
        HostileText.FindUnsafe(run.Error).Should().BeNull();
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        ReplayRun.RunAsync(name => _environment.GetValueOrDefault(name), TimeProvider.System, args);

    /// <summary>A shell session whose first approval record has <paramref name="kind"/> (JSON-escaped text) for its kind: a record that does not decode.</summary>
    private async Task<string> WithApprovalKindAsync(string name, string kind)
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, TestRecordings.OneSegment);
        var file = RecordingFile.Parse(bytes);
        var segment = file.Segments.First();
        var (first, records) = RecordingFile.DecodeSegment(segment);
        var approval = records.FindIndex(r => r[0] == (byte)RecordType.Approval);
        records[approval] = RecordingFile.EncodeRecord((byte)RecordType.Approval, 2_820_000_000, Encoding.UTF8.GetBytes($"{{\"kind\":\"{kind}\",\"commandNumber\":2,\"approvalId\":\"a\"}}"));
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);
        var path = Path.Combine(_directory.FullName, name);
        await System.IO.File.WriteAllBytesAsync(path, file.ToBytes());
        return path;
    }
}
