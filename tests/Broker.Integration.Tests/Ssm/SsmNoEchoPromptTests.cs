using System.Security.Cryptography;
using System.Text;
using Broker.DevServices.Ssm.Faults;
using Broker.Integration.Tests.Fixtures;
using Broker.Integration.Tests.Identity;
using Broker.Integration.Tests.Masking;
using Recorder;

namespace Broker.Integration.Tests.Ssm;

/// <summary>
/// A password typed at bash's <c>read -s</c> prompt on an SSM instance (the emulator's real PTY shell), in line mode and in
/// a raw terminal, with an observer attached from the start. The broker cannot read the instance's ECHO flag; it infers
/// the no-echo read from the password prompt shown last. The password has no secret shape: it must reach no screen, no
/// observer, no record and no export, and the record goes on after it.
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed class SsmNoEchoPromptTests : IClassFixture<SsmBrokerFixture>
{
    private const string ReadPassword = "read -r -s -p 'Password: ' pw";

    // The emulator's instance runs bash as the test's account (root here, so '#'); bash's default prompt ends in it.
    private static readonly string Prompt = Environment.UserName == "root" ? "# " : "$ ";

    private readonly SsmBrokerFixture _broker;

    public SsmNoEchoPromptTests(SsmBrokerFixture broker) => _broker = broker;

    // With outputLatencyMs the instance's output reaches the broker that much later (the emulator delays every output frame
    // it sends; a resend may come sooner), as from an instance far away: the instance is then well ahead of what the broker
    // has seen, which is when typing on a sign from the instance alone goes wrong (see the waits below).
    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 400)]
    [InlineData(true, 400)]
    public async Task Password_typed_at_read_s_on_an_instance_is_shown_to_no_one_recorded_redacted_and_the_record_goes_on(bool raw, int outputLatencyMs)
    {
        var password = NewPassword();
        var echoOff = Directory.CreateTempSubdirectory("ssm-no-echo-");
        try
        {
            // A watcher on the instance says when read -s has turned the terminal's echo off (it clears ECHOK with ECHO), by a
            // file rather than by output: anything printed after the prompt would (rightly) end the inference.
            var flag = Path.Combine(echoOff.FullName, "off");
            var watcher = $"( while stty -a </dev/tty | grep -qE '(^| )echok( |$)'; do sleep 0.01; done; : > {flag} ) &\r";
            string sessionId;
            byte[] received;
            ObservedSession observed;
            var client = _broker.Client(_broker.Token($"{(raw ? "raw-typist" : "typist")}-{Guid.NewGuid():n}"));
            await using (var terminal = await TerminalClient.OpenAsync(client, columns: 200, target: "ssm"))
            {
                await terminal.WaitForOutputAsync(Prompt);
                sessionId = terminal.Opened!.SessionId;
                var issued = _broker.IssuedFor(sessionId);
                var instance = _broker.Ssm.Sessions.Single(s => issued.Any(i => i.AccessKeyId == s.StartedBy));
                instance.Faults = new FaultSettings { FrameDelay = TimeSpan.FromMilliseconds(outputLatencyMs) };
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                var (live, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token($"typist-observer-{Guid.NewGuid():n}", "observers")), sessionId, fromStart: true, cts.Token);
                observed = live;
                using (call)
                {
                    await terminal.SendAsync(watcher);
                    await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
                    await terminal.SendAsync(ReadPassword + "; echo; echo \"got ${#pw} chars\"\r");
                    // Two signs, from both ends, before typing the password. The prompt read -s prints, as the broker shows it (the
                    // first "Password: " is the echo of the command line): the broker has seen what came before it in the one
                    // stream, the command-start marker (in line mode, keys that reach the line editor before it are typeahead,
                    // which waits for the next prompt, and read would wait for ever) and the prompt itself (the no-echo inference
                    // that records the password redacted). The flag: the instance's terminal no longer echoes (read prints its
                    // prompt before it turns echo off). The flag alone is not enough: it says nothing of what the broker has seen.
                    await terminal.WaitForOutputAsync("Password: ", occurrences: 2);
                    await WaitForFileAsync(flag, cts.Token);
                    await terminal.SendAsync(password + "\r");
                    await terminal.WaitForOutputAsync($"got {password.Length} chars");
                    // Each command waits for the prompt: in line mode, keys typed while a command runs go to the instance.
                    await terminal.WaitForOutputAsync(Prompt, occurrences: 3);
                    await terminal.SendAsync("echo after-$((6*7))\r");
                    await terminal.WaitForOutputAsync("after-42");
                    await terminal.WaitForOutputAsync(Prompt, occurrences: 4);
                    await terminal.SendAsync("exit\r");
                    await terminal.WaitForExitAsync();
                    await observed.ReadToEndAsync(call, cts.Token);
                }

                received = terminal.OutputBytes;
            }

            await SessionTraces.ShouldHaveRedactedTypedPasswordAsync(_broker, sessionId, received, observed, password, ReadPassword);
        }
        finally
        {
            echoOff.Delete(recursive: true);
        }
    }

    private static async Task WaitForFileAsync(string path, CancellationToken cancellationToken)
    {
        while (!File.Exists(path))
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    // Letters only and no secret shape: nothing but the prompt marks it, and no run of it turns up in a time or an id.
    private static string NewPassword() => "Pw" + string.Concat(RandomNumberGenerator.GetBytes(9).Select(b => $"{(char)('a' + (b >> 4))}{(char)('A' + (b & 15))}"));
}
