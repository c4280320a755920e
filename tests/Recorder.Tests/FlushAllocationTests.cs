using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Fuzzing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// A typing session's recording flush allocates next to nothing once it runs (issue 22): at 1,000 sessions every writer
/// hands its batch off on the same tick, more than the shared pool keeps, so a fresh batch per session per second and a
/// new checkpoint frame each time were the largest part of what a keystroke allocated on the broker.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class FlushAllocationTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "recorder-flush-" + Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        _key.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A writer still closing its file; the temporary directory is cleaned by the OS eventually.
        }
    }

    [Fact]
    public async Task A_thousand_typing_sessions_flushed_each_second_allocate_a_few_hundred_bytes_each_per_flush()
    {
        const int sessions = 1000;
        const int flushes = 10;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var options = new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) };
        var writers = Enumerable.Range(0, sessions)
            .Select(i => RecordingWriter.CreateFile(Path.Combine(_directory, $"s-{i}.rec"), TestRecordings.Header($"s-{i}"), _key, options, time))
            .ToArray();
        var signed = new long[sessions];
        try
        {
            // Warm-up flushes: each writer's first batch, its compressor and its pump are made once, not per flush.
            for (var i = 0; i < 3; i++)
            {
                await TypeAndFlushAsync(writers, signed, time);
            }

            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < flushes; i++)
            {
                await TypeAndFlushAsync(writers, signed, time);
            }

            var perFlush = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)(sessions * flushes);

            // 1.5 KB before (a 1 KiB batch from an exhausted pool and two arrays per checkpoint); about 0.2 KB after,
            // most of it the signature and this test's own polling.
            perFlush.Should().BeLessThan(600, "a flush of a key and its echo reuses the writer's batch and checkpoint frame");
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
        }

        for (var index = 0; index < sessions; index++)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(_directory, $"s-{index}.rec"));
            var result = TestRecordings.Verify(bytes, _key);
            result.VerifiedRecords.Should().Be(2 * (3 + flushes), "every key and echo of session {0} is in its recording", index);
            result.LastValidCheckpoint.Should().BeGreaterThanOrEqualTo(3 + flushes);
        }
    }

    /// <summary>Every writer records a key and its echo, the shared flush timer fires, and every writer signs a checkpoint.</summary>
    private static async Task TypeAndFlushAsync(RecordingWriter[] writers, long[] signed, FakeTimeProvider time)
    {
        foreach (var writer in writers)
        {
            writer.AppendInput("x"u8);
            writer.AppendOutput(OutputStream.Terminal, "x"u8);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using var timeout = new CancellationTokenSource(TestRecordings.Timeout);
        for (var i = 0; i < writers.Length; i++)
        {
            while (writers[i].SignedLength == signed[i])
            {
                await Task.Delay(5, timeout.Token);
            }

            signed[i] = writers[i].SignedLength;
        }
    }
}
