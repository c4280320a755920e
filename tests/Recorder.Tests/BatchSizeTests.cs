using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// The batch a writer collects records in is sized by what it carries (issue 22): a typing session's flush every second
/// must not take a fresh segment-sized array, which at 1,000 sessions was a gigabyte a second on the large object heap.
/// </summary>
public sealed class BatchSizeTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Two_hundred_typing_sessions_flushed_at_once_allocate_kilobytes_each_not_a_segment_each()
    {
        const int sessions = 200;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var options = new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) };
        var destinations = Enumerable.Range(0, sessions).Select(_ => new TestStream()).ToList();
        var writers = destinations.Select((d, i) => RecordingWriter.Create(d, TestRecordings.Header($"s-{i}"), _key, options, time)).ToList();
        try
        {
            foreach (var writer in writers)
            {
                writer.AppendInput("x"u8);
                writer.AppendOutput(OutputStream.Terminal, "x"u8);
            }

            // The fake clock runs the shared flush timer on this thread: every writer hands off its batch and takes the next here.
            var before = GC.GetAllocatedBytesForCurrentThread();
            time.Advance(TimeSpan.FromSeconds(1));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            allocated.Should().BeLessThan(sessions * 8L * 1024, "a flush of two one-byte records takes a small batch, not a {0}-byte segment", options.SegmentBytes);
            foreach (var destination in destinations)
            {
                var result = await PollAsync(() => TestRecordings.Verify(destination.Snapshot(), _key), r => r.VerifiedRecords == 2);
                result.LastValidCheckpoint.Should().Be(1);
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Output_far_larger_than_a_segment_reads_back_whole_and_in_order_after_the_batch_grows()
    {
        var options = TestRecordings.OneSegment with { SegmentBytes = 64 * 1024 };
        var random = new Random(22);
        var expected = new List<byte[]>();
        var bytes = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            for (var i = 0; i < 400; i++)
            {
                // Sizes from one byte to past the first batch, so the batch grows, fills a segment and starts small again.
                var data = new byte[random.Next(0, 4) == 0 ? random.Next(20_000, 40_000) : random.Next(1, 1_500)];
                random.NextBytes(data);
                writer.AppendOutput(OutputStream.Terminal, data);
                expected.Add(data);
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }, options);

        var events = await TestRecordings.ReadAllAsync(bytes);
        var output = events.OfType<OutputEvent>().SelectMany(e => e.Data.ToArray()).ToArray();
        output.Should().Equal(expected.SelectMany(d => d));
        TestRecordings.Verify(bytes, _key).Status.Should().Be(VerificationStatus.IntactAndSealed);
    }

    private static async Task<VerificationResult> PollAsync(Func<VerificationResult> read, Func<VerificationResult, bool> done)
    {
        using var timeout = new CancellationTokenSource(TestRecordings.Timeout);
        while (true)
        {
            var result = read();
            if (done(result))
            {
                return result;
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}
