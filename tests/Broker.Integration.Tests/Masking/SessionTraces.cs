using System.Text;
using System.Text.RegularExpressions;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Recorder;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// Everything a session left for people other than its agent: what an observer received (attached from the start),
/// the sealed recording read back with the Recorder library, and its asciicast and plain-text exports (what
/// <c>replay export</c> writes).
/// </summary>
internal sealed partial record SessionTraces(ObservedSession Observed, IReadOnlyList<RecordedEvent> Events, string Asciicast, string TextExport)
{
    public byte[] RecordedOutput => [.. Events.OfType<OutputEvent>().SelectMany(e => e.Data.ToArray())];

    public byte[] RecordedInput => [.. Events.OfType<InputEvent>().SelectMany(e => e.Data.ToArray())];

    /// <summary>Every recorded event as text (commands, reasons, facts, notices), without indexes and times.</summary>
    public string RecordedText => string.Join("\n", Events.Select(e => (e with { Index = 0, OffsetNanoseconds = 0 }).ToString()));

    /// <summary>What the observer received: output and input bytes decoded, commands and notices as text.</summary>
    public string ObservedText => TextOf(Observed);

    /// <summary>What an observer received: output and input bytes decoded, commands and notices as text.</summary>
    public static string TextOf(ObservedSession observed) => string.Join("\n", observed.Events.Select(e => e.EventCase switch
    {
        RecordingEvent.EventOneofCase.Output => e.Output.Data.ToStringUtf8(),
        RecordingEvent.EventOneofCase.Input => e.Input.ToStringUtf8(),
        RecordingEvent.EventOneofCase.Command => $"{e.Command.Text} {e.Command.Reason} {e.Command.FactsJson}",
        // Its position is a count of nanoseconds: random digits, which hold a card number's four now and then.
        _ => new RecordingEvent(e) { Index = 0, OffsetNanoseconds = 0 }.ToString(),
    }));

    /// <summary>Reads what the session left once its recording is sealed.</summary>
    public static async Task<SessionTraces> CollectAsync(BrokerFixture broker, string sessionId)
    {
        var events = await SealedRecording.ReadAsync(broker, sessionId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (observed, call) = await ObservedSession.AttachAsync(broker.Recordings(broker.Token("masking-observer", "observers")), sessionId, fromStart: true, cts.Token);
        using (call)
        {
            await observed.ReadToEndAsync(call, cts.Token);
        }

        var path = await SealedRecording.WaitAsync(broker, sessionId);
        return new SessionTraces(observed, events, await ExportAsync(path, ExportFormat.AsciicastV2, cts.Token), await ExportAsync(path, ExportFormat.Text, cts.Token));
    }

    /// <summary>No run of four characters of any secret in anything the session left.</summary>
    public void ShouldNotLeak(params string[] secrets)
    {
        ShouldNotContain(Observed.Output, secrets, "the observer's output");
        ShouldNotContain(Encoding.UTF8.GetBytes(ObservedText), secrets, "the observer's events");
        ShouldNotContain(RecordedOutput, secrets, "the recorded output");
        ShouldNotContain(RecordedInput, secrets, "the recorded input");
        ShouldNotContain(Encoding.UTF8.GetBytes(RecordedText), secrets, "the recorded events");
        ShouldNotContain(Encoding.UTF8.GetBytes(Asciicast), secrets, "the asciicast export");
        ShouldNotContain(Encoding.UTF8.GetBytes(TextExport), secrets, "the text export");
    }

    /// <summary>
    /// A password typed at a no-echo prompt (<paramref name="readCommand"/>, then <c>echo after-$((6*7))</c> and
    /// <c>exit</c>): shown to no one (the agent's terminal, a live observer's output and input frames, anything the
    /// session left) and recorded redacted with its length kept, with the record going on after it.
    /// </summary>
    public static async Task<SessionTraces> ShouldHaveRedactedTypedPasswordAsync(
        BrokerFixture broker, string sessionId, byte[] received, ObservedSession observed, string password, string readCommand)
    {
        ShouldNotContain(received, [password], "the agent's terminal");
        ShouldNotContain(observed.Output, [password], "the live observer's output");
        ShouldNotContain(Encoding.UTF8.GetBytes(TextOf(observed)), [password], "the live observer's input frames");
        var traces = await CollectAsync(broker, sessionId);
        traces.ShouldNotLeak(password);

        var input = Encoding.UTF8.GetString(traces.RecordedInput);
        input.Should().Contain(readCommand, "the typed command is recorded as typed");
        input.Should().Contain(new string('*', password.Length) + "\r", "the password is recorded redacted, its length kept");
        input.Should().Contain("echo after-$((6*7))", "the record goes on after the prompt");
        input.Should().Contain("exit", "the record goes on to the end");
        traces.Events.OfType<NoticeEvent>().Should().Contain(n => n.Message.Contains("recorded redacted", StringComparison.Ordinal));
        return traces;
    }

    /// <summary>
    /// Fails on the first run of four bytes of a secret (eight of a long one, see <see cref="RunLength"/>). Mask names, session ids, asciicast times, text-export offsets and ISO times are removed first:
    /// they are not leaks, and a random session id holds a given run of four hex digits often enough to fail a run.
    /// </summary>
    public static void ShouldNotContain(byte[] bytes, IEnumerable<string> secrets, string where)
    {
        var text = MarkerPattern().Replace(Encoding.Latin1.GetString(bytes), "#");
        text = NotSecretPattern().Replace(text, "#");
        var haystack = Encoding.Latin1.GetBytes(text);
        foreach (var secret in secrets)
        {
            var secretBytes = Encoding.UTF8.GetBytes(secret);
            var run = RunLength(secretBytes.Length);
            for (var i = 0; i + run <= secretBytes.Length; i++)
            {
                haystack.AsSpan().IndexOf(secretBytes.AsSpan(i, run)).Should().BeLessThan(0, $"'{Encoding.UTF8.GetString(secretBytes, i, run)}' of '{secret}' leaked into {where}:\n{text}");
            }
        }
    }

    /// <summary>
    /// Four bytes for ordinary secrets; eight for long random ones (a generated key's base64 lines), whose
    /// thousands of four-byte runs would now and then match a hash, a MAC or other random text a session
    /// shows by chance.
    /// </summary>
    private static int RunLength(int secretLength) => secretLength >= 32 ? 8 : 4;

    private static async Task<string> ExportAsync(string path, ExportFormat format, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        using var export = new MemoryStream();
        await RecordingExporter.ExportAsync(RecordingReader.Open(file), format, export, cancellationToken);
        return Encoding.UTF8.GetString(export.ToArray());
    }

    [GeneratedRegex(@"\[MASKED:[A-Za-z0-9._-]+\]")]
    private static partial Regex MarkerPattern();

    // A session id; an asciicast event's time; the asciicast header's timestamp; a text export's offset; a time of day
    // written in ISO 8601 (the text export's "started" line: its seconds and fraction are as good as random digits).
    [GeneratedRegex(@"\bs-[0-9a-f]{20,40}\b|(?<=\[)[0-9]+\.[0-9]+(?=,)|""timestamp"":[0-9]+|\[\+[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})")]
    private static partial Regex NotSecretPattern();
}
