using Microsoft.Extensions.Time.Testing;
using Recorder.Format;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class CrashSafetyTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_file_cut_at_every_frame_boundary_and_mid_frame_verifies_up_to_the_last_complete_checkpoint()
    {
        var bytes = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            for (var i = 0; i < 120; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                writer.AppendOutput(OutputStream.Terminal, System.Text.Encoding.ASCII.GetBytes($"line {i} of some output that compresses\r\n"));
            }
        }, new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 25 });
        var file = RecordingFile.Parse(bytes);
        file.Checkpoints.Should().HaveCountGreaterThan(2);

        var cuts = new SortedSet<int>();
        foreach (var frame in file.Frames)
        {
            var end = frame.Position + 5 + frame.Body.Length;
            cuts.UnionWith([frame.Position, frame.Position + 3, frame.Position + 5 + (frame.Body.Length / 2), end]);
        }

        foreach (var cut in cuts)
        {
            var truncated = bytes[..cut];
            var result = TestRecordings.Verify(truncated, _key);
            var complete = file.Checkpoints.Where(c => c.Position + 5 + c.Body.Length <= cut).ToList();
            if (cut == bytes.Length)
            {
                result.Status.Should().Be(VerificationStatus.IntactAndSealed);
                continue;
            }

            result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint, $"cut at byte {cut}: {result.Detail}");
            result.LastValidCheckpoint.Should().Be(complete.Count, $"cut at byte {cut}");
            result.VerifiedRecords.Should().Be(complete.Count == 0 ? 0 : BitConverter.ToInt64(complete[^1].Body, 8));

            if (cut >= file.Frames[0].Position + 5 + file.Frames[0].Body.Length)
            {
                var events = await TestRecordings.ReadAllAsync(truncated);
                events.Should().HaveCount((int)result.RecordsRead, "the reader stops at the last complete frame");
            }
        }
    }

    [Fact]
    public async Task Within_one_flush_interval_appended_events_are_on_the_destination_under_a_checkpoint()
    {
        var time = new FakeTimeProvider();
        var destination = new TestStream();
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) }, time);
        await using (writer)
        {
            writer.AppendOutput(OutputStream.Terminal, "hello\r\n"u8);
            writer.AppendInput("ls\r"u8);
            time.Advance(TimeSpan.FromSeconds(1));

            var result = await PollAsync(() => TestRecordings.Verify(destination.Snapshot(), _key), r => r.VerifiedRecords == 2);
            result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
            result.LastValidCheckpoint.Should().Be(1);
            destination.Flushes.Should().BeGreaterThan(0);

            writer.AppendOutput(OutputStream.Terminal, "more\r\n"u8);
            time.Advance(TimeSpan.FromSeconds(1));
            result = await PollAsync(() => TestRecordings.Verify(destination.Snapshot(), _key), r => r.VerifiedRecords == 3);
            result.LastValidCheckpoint.Should().Be(2);
        }
    }

    [Fact]
    public async Task A_full_disk_faults_the_writer_without_corrupting_what_was_written()
    {
        var time = new FakeTimeProvider();
        var destination = new TestStream(capacity: 20_000);
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, new RecordingWriterOptions { SegmentBytes = 4096, LeaveOpen = true }, time);
        await using (writer)
        {
            var random = new Random(3);
            var data = new byte[1000];
            for (var i = 0; i < 10; i++)
            {
                random.NextBytes(data);
                writer.AppendOutput(OutputStream.Terminal, data);
            }

            await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            for (var i = 0; i < 100 && writer.Fault is null; i++)
            {
                random.NextBytes(data);
                writer.AppendOutput(OutputStream.Terminal, data);
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Yield();
            }

            var fault = await writer.WhenFaulted.WaitAsync(TestRecordings.Timeout);
            fault.Should().BeOfType<RecordingFaultException>().Which.InnerException.Should().BeOfType<IOException>();
            writer.Fault.Should().BeSameAs(fault);

            var append = () => writer.AppendOutput(OutputStream.Terminal, data);
            append.Should().NotThrow("a faulted writer drops appends; the session ends on Fault");
            var flush = () => writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            await flush.Should().ThrowAsync<RecordingFaultException>();
        }

        var result = TestRecordings.Verify(destination.Snapshot(), _key);
        result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint, result.Detail);
        result.LastValidCheckpoint.Should().BeGreaterThanOrEqualTo(1);
        result.VerifiedRecords.Should().BeGreaterThanOrEqualTo(10);
        destination.Length.Should().BeLessThanOrEqualTo(20_000);
    }

    [Fact]
    public async Task Disposing_without_sealing_leaves_a_checkpointed_truncated_recording()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, seal: false);

        var result = TestRecordings.Verify(bytes, _key);

        result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
        result.VerifiedRecords.Should().Be(17);
        RecordingFile.Parse(bytes).Frames.Should().NotContain(f => f.Kind == FrameKind.Seal);
    }

    [Fact]
    public async Task A_recording_file_can_be_read_and_verified_while_it_is_being_written()
    {
        var directory = Directory.CreateTempSubdirectory("recording-live-");
        try
        {
            var path = Path.Combine(directory.FullName, "sessions", "s-1.brkrec");
            var time = new FakeTimeProvider();
            var writer = RecordingWriter.CreateFile(path, TestRecordings.Header(), _key, new RecordingWriterOptions(), time);
            await using (writer)
            {
                writer.AppendOutput(OutputStream.Terminal, "first\r\n"u8);
                await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
                writer.AppendOutput(OutputStream.Terminal, "second, not flushed yet\r\n"u8);

                await using (var live = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    var result = RecordingVerifier.Verify(live, _key.ExportPublicKeyPem());
                    result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
                    result.VerifiedRecords.Should().Be(1);
                }

                await using (var live = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    using var reader = RecordingReader.Open(live);
                    var events = new List<RecordedEvent>();
                    await foreach (var e in reader.ReadEventsAsync())
                    {
                        events.Add(e);
                    }

                    events.Should().ContainSingle().Which.Should().BeOfType<OutputEvent>().Which.Data.ToArray().Should().Equal("first\r\n"u8.ToArray());
                }

                var again = () => RecordingWriter.CreateFile(path, TestRecordings.Header(), _key, new RecordingWriterOptions(), time);
                again.Should().Throw<IOException>("a recording is never overwritten");
                await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            }

            await using var sealedFile = File.OpenRead(path);
            RecordingVerifier.Verify(sealedFile, _key.ExportPublicKeyPem()).Status.Should().Be(VerificationStatus.IntactAndSealed);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_sealed_recording_is_complete_for_readers_before_the_writer_is_disposed()
    {
        var directory = Directory.CreateTempSubdirectory("recording-sealed-");
        try
        {
            var path = Path.Combine(directory.FullName, "s-2.brkrec");
            var writer = RecordingWriter.CreateFile(path, TestRecordings.Header(), _key, new RecordingWriterOptions(), new FakeTimeProvider());
            await using (writer)
            {
                writer.AppendOutput(OutputStream.Terminal, "the last words\r\n"u8);
                await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);

                // The session's end waits only for the seal; the file sync is the disposer's.
                await using var live = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var result = RecordingVerifier.Verify(live, _key.ExportPublicKeyPem());
                result.Status.Should().Be(VerificationStatus.IntactAndSealed, result.Detail);
                result.VerifiedRecords.Should().Be(1);
                writer.Fault.Should().BeNull();
            }

            writer.Fault.Should().BeNull("the file sync after the seal succeeded");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<VerificationResult> PollAsync(Func<VerificationResult> probe, Func<VerificationResult, bool> done)
    {
        using var timeout = new CancellationTokenSource(TestRecordings.Timeout);
        while (true)
        {
            var result = probe();
            if (done(result))
            {
                return result;
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}
