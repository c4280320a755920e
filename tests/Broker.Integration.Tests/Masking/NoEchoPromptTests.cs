using System.Security.Cryptography;
using System.Text;
using Broker.Integration.Tests.Fixtures;
using Recorder;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// A password typed at bash's <c>read -s</c> prompt, through a real broker, a real PTY and an observer attached from
/// the start, in line mode and in raw mode. The password has no secret shape (no detector would catch it): only the
/// terminal's no-echo mode says it is one. It must reach no screen, no observer, no record and no export, while the
/// record goes on: the redacted line, the commands after it and <c>exit</c> are all in the recorded input.
/// </summary>
public sealed class NoEchoPromptTests : IClassFixture<MaskingBrokerFixture>
{
    // The command is quoted as typed: its prompt string is not a secret, so the records show it as it is.
    private const string ReadPassword = "read -r -s -p 'Password: ' pw";

    // A watcher in the background says when bash's read -s has turned the terminal's echo off (it clears ECHOK with
    // ECHO; the line editor of line mode clears only ECHO): typing before that would be echoed by any terminal. It starts
    // as a command of its own, so that read -s runs as soon as its command starts (when line mode used to turn the
    // terminal's echo back on under it). What the test waits for is computed, so the echo of the command line does not
    // show it, and it starts a line of its own: after "Password: " it would read as a password printed (which is masked).
    private const string Watcher = "( while stty -a </dev/tty | grep -qE '(^| )echok( |$)'; do sleep 0.01; done; printf '\\nno-echo-%s\\n' $((6*7)) ) &\r";

    private const string Command = ReadPassword + "; echo; echo \"got ${#pw} chars\"\r";

    private readonly MaskingBrokerFixture _broker;

    public NoEchoPromptTests(MaskingBrokerFixture broker) => _broker = broker;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Password_typed_at_read_s_is_shown_to_no_one_recorded_redacted_and_the_record_goes_on(bool raw)
    {
        var password = NewPassword();
        string sessionId;
        byte[] received;
        ObservedSession observed;
        string[] decisions;
        await using (var terminal = await _broker.OpenTerminalAsync(raw, columns: 200))
        {
            sessionId = terminal.Opened!.SessionId;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var (live, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("live-observer", "observers")), sessionId, fromStart: true, cts.Token);
            observed = live;
            using (call)
            {
                await terminal.SendAsync(Watcher);
                await terminal.WaitForOutputAsync("$ ", occurrences: 2);
                await terminal.SendAsync(Command);
                await terminal.WaitForOutputAsync("no-echo-42");
                await terminal.SendAsync(password + "\r");
                await terminal.WaitForOutputAsync($"got {password.Length} chars");
                await terminal.SendAsync("echo after-$((6*7))\r");
                await terminal.WaitForOutputAsync("after-42");
                await terminal.SendAsync("exit\r");
                await terminal.WaitForExitAsync();
                await observed.ReadToEndAsync(call, cts.Token);
            }

            received = terminal.OutputBytes;
            decisions = [.. terminal.Decisions.Select(d => d.Command)];
        }

        await SessionTraces.ShouldHaveRedactedTypedPasswordAsync(_broker, sessionId, received, observed, password, ReadPassword);
        if (!raw)
        {
            decisions.Should().Contain(c => c.Contains(ReadPassword, StringComparison.Ordinal), "a quoted prompt string is not a secret");
        }
    }

    // Letters only and no secret shape: nothing but the no-echo mode marks it, and no run of it turns up in a time or an id.
    private static string NewPassword() => "Pw" + string.Concat(RandomNumberGenerator.GetBytes(9).Select(b => $"{(char)('a' + (b >> 4))}{(char)('A' + (b & 15))}"));
}
