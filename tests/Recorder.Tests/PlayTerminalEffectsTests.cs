using System.Text;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// `replay play` in a real terminal (tmux), checked by its effects on the auditor's terminal: a
/// recorded clipboard write must not reach the clipboard, a title change must not change the title,
/// and terminal queries must not make the terminal type answers into the auditor's shell, while what
/// draws still draws. With --pass-escapes all of it happens, which shows the checks can see it.
/// </summary>
public sealed class PlayTerminalEffectsTests : IDisposable
{
    private const string Visible = "VISIBLE-OUTPUT";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("replay-tmux-");
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose()
    {
        _key.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Play_draws_but_leaves_the_clipboard_the_title_and_the_shell_input_alone()
    {
        var (screen, title, buffers, typed) = await PlayInTmuxAsync(passEscapes: false);

        screen.Should().Contain(Visible, "drawing sequences and text pass");
        title.Should().NotContain("owned");
        buffers.Should().BeEmpty("no clipboard write reached the terminal");
        typed.Should().BeEmpty("no query reached the terminal, so nothing was typed into the shell");
        screen.Should().Contain("replay: not passed to the terminal: 1 clipboard access, 1 title change, 2 terminal queries");
    }

    [Fact]
    public async Task With_pass_escapes_the_terminal_receives_everything()
    {
        var (screen, title, buffers, typed) = await PlayInTmuxAsync(passEscapes: true);

        screen.Should().Contain(Visible);
        title.Should().Contain("owned");
        buffers.Should().Contain("pwned");
        typed.Should().Contain("[?1;2c", "tmux answered the device attributes query by typing into the pane");
    }

    private async Task<(string Screen, string Title, string Buffers, string Typed)> PlayInTmuxAsync(bool passEscapes)
    {
        var recording = Path.Combine(_directory.FullName, "hostile.brkrec");
        await File.WriteAllBytesAsync(recording, await TestRecordings.WriteAsync(_key, (writer, _) =>
        {
            writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes(
                "\u001b]52;c;cHduZWQ=\u0007" + "\u001b]2;owned\u0007" + "\u001b[c" + "\u001b[6n" + $"\u001b[1;32m{Visible}\u001b[0m\r\n"));
            writer.AppendExit(0, 0, "shell exited");
        }));
        var typed = Path.Combine(_directory.FullName, "typed.txt");
        var script = Path.Combine(_directory.FullName, "play.sh");

        // Raw mode so the terminal's answers wait, unprocessed, in the shell's input; replay reads
        // nothing (its input is /dev/null); the X the test types ends what is collected.
        await File.WriteAllTextAsync(script, $$"""
            stty raw -echo
            '{{ReplayProcess.Executable}}' play '{{recording}}' {{(passEscapes ? "--pass-escapes" : "")}} </dev/null
            printf '\r\nPLAYED\r\n'
            IFS= read -r -d X answer
            printf '%s' "$answer" > '{{typed}}'
            printf 'COLLECTED\r\n'
            exec cat >/dev/null
            """);
        await using var tmux = await TmuxTerminal.StartAsync(_directory.FullName, $"bash '{script}'");
        await tmux.WaitForAsync("PLAYED");
        await tmux.TypeAsync("X");
        var screen = await tmux.WaitForAsync("COLLECTED");
        return (screen, await tmux.TitleAsync(), (await tmux.BuffersAsync()).Trim(), await File.ReadAllTextAsync(typed));
    }
}
