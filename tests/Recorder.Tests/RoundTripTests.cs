using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class RoundTripTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Shell_session_reads_back_every_event_with_its_offset()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession);

        using var reader = RecordingReader.Open(new MemoryStream(bytes));
        reader.Header.Should().BeEquivalentTo(TestRecordings.Header() with { SigningKeyId = _key.KeyIdHex });
        var events = new List<RecordedEvent>();
        await foreach (var e in reader.ReadEventsAsync())
        {
            events.Add(e);
        }

        events.Select(e => e.Index).Should().Equal(Enumerable.Range(0, events.Count).Select(i => (long)i));
        events.Should().HaveCount(17);
        events[1].Should().BeOfType<InputEvent>().Which.Offset.Should().Be(TimeSpan.FromMilliseconds(800));
        var commands = events.OfType<CommandEvent>().Select(c => c.Command).ToList();
        commands.Select(c => c.Number).Should().Equal(1, 2, 3);
        commands[0].FactsJson.Should().Be("""{"argv":["ls","-la"]}""");
        commands[1].Should().BeEquivalentTo(new CommandRecord { Number = 2, Text = "rm -rf /var/log", Decision = "review", RuleId = "destructive", Reason = "deletes files" });
        events.OfType<ApprovalEvent>().Last().Approval.Approver.Should().Be("alice@example.com");
        events.OfType<ResizeEvent>().Single().Should().Match<ResizeEvent>(r => r.Columns == 120 && r.Rows == 40);
        events.OfType<MaskingCountsEvent>().Single().Counts.Should().Equal(new Dictionary<string, long> { ["aws-access-key"] = 2 });
        events.OfType<NoticeEvent>().Single().Kind.Should().Be("denied");
        events.OfType<MarkerEvent>().Single().Label.Should().Be("end of work");
        events.OfType<ExitEvent>().Single().Should().Match<ExitEvent>(x => x.Code == 0 && x.Reason == "shell exited");
        reader.Sealed.Should().BeTrue();
        reader.Duration.Should().Be(TimeSpan.FromSeconds(8.82));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_event_streams_with_every_byte_value_read_back_byte_exact(int seed)
    {
        var random = new Random(seed);
        var expected = new List<(string Kind, byte[] Data, long Offset)>();
        var options = new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 7 };
        var bytes = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            long offset = 0;
            for (var i = 0; i < 400; i++)
            {
                var advance = random.Next(0, 3) == 0 ? 0 : random.Next(1, 5_000_000);
                time.Advance(TimeSpan.FromTicks(advance));
                offset += advance * 100L;
                var size = random.Next(0, 10) switch
                {
                    0 => 0,
                    1 => random.Next(4096, 20_000),
                    _ => random.Next(1, 300),
                };
                var data = new byte[size];
                random.NextBytes(data);
                if (i == 0)
                {
                    data = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
                }

                switch (random.Next(0, 4))
                {
                    case 0:
                        writer.AppendInput(data);
                        expected.Add(("i", data, offset));
                        break;
                    case 1:
                        writer.AppendOutput(OutputStream.Stderr, data);
                        expected.Add(("e", data, offset));
                        break;
                    case 2:
                        writer.AppendMarker($"m{i}");
                        expected.Add(("m", System.Text.Encoding.UTF8.GetBytes($"m{i}"), offset));
                        break;
                    default:
                        writer.AppendOutput(OutputStream.Terminal, data);
                        expected.Add(("o", data, offset));
                        break;
                }
            }
        }, options);

        var events = await TestRecordings.ReadAllAsync(bytes);
        Flatten(events).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
        TestRecordings.Verify(bytes, _key).Status.Should().Be(VerificationStatus.IntactAndSealed);
    }

    [Fact]
    public async Task A_100_MB_output_session_records_and_reads_back_byte_exact()
    {
        const int Total = 100 * 1024 * 1024;
        var path = Path.Combine(Path.GetTempPath(), $"rec-{Guid.NewGuid():N}.brkrec");
        try
        {
            var chunk = new byte[64 * 1024];
            var random = new Random(42);
            using var expectedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var time = new FakeTimeProvider();
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            var writer = RecordingWriter.Create(file, TestRecordings.Header(), _key, new RecordingWriterOptions(), time);
            await using (writer)
            {
                for (var written = 0; written < Total; written += chunk.Length)
                {
                    ShellLikeText(random, chunk);
                    expectedHash.AppendData(chunk);
                    writer.AppendOutput(OutputStream.Terminal, chunk);
                    time.Advance(TimeSpan.FromMilliseconds(1));
                    if (written % (16 * 1024 * 1024) == 0)
                    {
                        // The session's own pace: a real PTY never outruns the disk by 64 MiB.
                        await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
                    }
                }

                await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            }

            using var actualHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            await using (var input = File.OpenRead(path))
            {
                using var reader = RecordingReader.Open(input);
                await foreach (var e in reader.ReadEventsAsync())
                {
                    var output = (OutputEvent)e;
                    actualHash.AppendData(output.Data.Span);
                    total += output.Data.Length;
                }
            }

            total.Should().Be(Total);
            actualHash.GetHashAndReset().Should().Equal(expectedHash.GetHashAndReset());
            new FileInfo(path).Length.Should().BeLessThan(Total / 5);
            await using var verify = File.OpenRead(path);
            RecordingVerifier.Verify(verify, _key.ExportPublicKeyPem()).Status.Should().Be(VerificationStatus.IntactAndSealed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Signing_key_is_created_once_and_reloaded_with_the_same_public_key()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(directory.FullName, "keys", "recording.pem");
            using var created = RecordingSigningKey.LoadOrCreate(path);
            using var loaded = RecordingSigningKey.LoadOrCreate(path);
            loaded.ExportPublicKeyPem().Should().Be(created.ExportPublicKeyPem());
            loaded.KeyIdHex.Should().Be(created.KeyIdHex);
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var bytes = await TestRecordings.WriteAsync(created, TestRecordings.ShellSession);
            TestRecordings.Verify(bytes, loaded).Status.Should().Be(VerificationStatus.IntactAndSealed);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Consecutive input/output records of one kind joined, since large writes are split into records.</summary>
    private static List<(string Kind, byte[] Data, long Offset)> Flatten(List<RecordedEvent> events)
    {
        var result = new List<(string Kind, byte[] Data, long Offset)>();
        foreach (var e in events)
        {
            var (kind, data) = e switch
            {
                InputEvent i => ("i", i.Data.ToArray()),
                OutputEvent { Stream: OutputStream.Stderr } o => ("e", o.Data.ToArray()),
                OutputEvent o => ("o", o.Data.ToArray()),
                MarkerEvent m => ("m", System.Text.Encoding.UTF8.GetBytes(m.Label)),
                _ => throw new InvalidOperationException(e.ToString()),
            };
            if (kind != "m" && result.Count > 0 && result[^1].Kind == kind && result[^1].Offset == e.OffsetNanoseconds && SplitContinuation(events, e))
            {
                result[^1] = (kind, [.. result[^1].Data, .. data], e.OffsetNanoseconds);
            }
            else
            {
                result.Add((kind, data, e.OffsetNanoseconds));
            }
        }

        return result;
    }

    private static bool SplitContinuation(List<RecordedEvent> events, RecordedEvent e)
    {
        var previous = events[(int)e.Index - 1];
        var length = previous switch
        {
            InputEvent i => i.Data.Length,
            OutputEvent o => o.Data.Length,
            _ => 0,
        };
        return length == new RecordingWriterOptions { SegmentBytes = 4096 }.SegmentBytes - 16 - 1;
    }

    private static void ShellLikeText(Random random, byte[] buffer)
    {
        string[] words = ["drwxr-xr-x", "root", "4096", "Nov", "26", "08:07", "src", "bin", "obj", "-rw-r--r--", "README.md", "\u001b[01;34m", "\u001b[0m", "total", "ERROR", "INFO", "request", "200", "GET", "/api/v1/sessions"];
        var position = 0;
        while (position < buffer.Length)
        {
            var word = System.Text.Encoding.UTF8.GetBytes(random.Next(12) == 0 ? "\r\n" : words[random.Next(words.Length)] + " ");
            var n = Math.Min(word.Length, buffer.Length - position);
            word.AsSpan(0, n).CopyTo(buffer.AsSpan(position));
            position += n;
        }
    }
}
