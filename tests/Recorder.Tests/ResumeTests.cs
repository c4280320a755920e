using System.Buffers.Binary;
using Recorder.Format;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>Reading from a record index on: what an observer that fell behind does to catch up.</summary>
public sealed class ResumeTests : IDisposable
{
    private static readonly RecordingWriterOptions SmallSegments = new() { SegmentBytes = 4096, CheckpointEveryRecords = 16 };

    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Reading_from_any_index_gives_exactly_the_records_from_there_on()
    {
        var bytes = await ManySegmentsAsync().WaitAsync(TestRecordings.Timeout);
        var all = await TestRecordings.ReadAllAsync(bytes).WaitAsync(TestRecordings.Timeout);
        RecordingFile.Parse(bytes).Segments.Should().HaveCountGreaterThan(5);
        var boundaries = RecordingFile.Parse(bytes).Segments.Select(s => RecordingFile.DecodeSegment(s).FirstRecord).ToList();

        long[] starts = [0, 1, boundaries[3] - 1, boundaries[3], boundaries[3] + 1, all.Count - 1, all.Count, all.Count + 50];
        foreach (var start in starts)
        {
            var resumed = await ReadFromAsync(bytes, start).WaitAsync(TestRecordings.Timeout);
            resumed.Select(Describe).Should().Equal(all.Where(e => e.Index >= start).Select(Describe), $"reading from record {start}");
        }
    }

    [Fact]
    public async Task Segments_before_the_first_index_are_stepped_over_without_being_decompressed()
    {
        var bytes = await ManySegmentsAsync().WaitAsync(TestRecordings.Timeout);
        var all = await TestRecordings.ReadAllAsync(bytes).WaitAsync(TestRecordings.Timeout);
        var file = RecordingFile.Parse(bytes);
        var segments = file.Segments.ToList();
        var resumeAt = RecordingFile.DecodeSegment(segments[2]).FirstRecord;

        // Garbage in place of the first two segments' compressed data: decoding them would fail.
        foreach (var segment in segments.Take(2))
        {
            segment.Body.AsSpan(FileLayout.SegmentPrefixLength).Fill(0xA5);
        }

        var damaged = file.ToBytes();
        using (var reader = RecordingReader.Open(new MemoryStream(damaged)))
        {
            var read = new List<RecordedEvent>();
            await foreach (var recorded in reader.ReadEventsAsync().WithCancellation(CancellationToken.None))
            {
                read.Add(recorded);
            }

            read.Should().BeEmpty("the first segment cannot be decompressed");
            reader.Damage.Should().NotBeNull();
            reader.Damage!.RecordIndex.Should().Be(0);
        }

        var resumed = await ReadFromAsync(damaged, resumeAt).WaitAsync(TestRecordings.Timeout);
        resumed.Select(Describe).Should().Equal(all.Where(e => e.Index >= resumeAt).Select(Describe));
    }

    [Fact]
    public async Task A_segment_whose_prefix_disagrees_with_the_records_before_it_is_decoded_not_skipped()
    {
        var bytes = await ManySegmentsAsync().WaitAsync(TestRecordings.Timeout);
        var all = await TestRecordings.ReadAllAsync(bytes).WaitAsync(TestRecordings.Timeout);
        var file = RecordingFile.Parse(bytes);
        var first = file.Segments.First();
        var resumeAt = RecordingFile.DecodeSegment(file.Segments.ElementAt(1)).FirstRecord + 1;

        // A prefix that says the segment starts later than it does must not make its records vanish.
        BinaryPrimitives.WriteInt64LittleEndian(first.Body, 9_999);
        var resumed = await ReadFromAsync(file.ToBytes(), resumeAt).WaitAsync(TestRecordings.Timeout);

        resumed.Select(Describe).Should().Equal(all.Where(e => e.Index >= resumeAt).Select(Describe));
    }

    [Fact]
    public async Task A_negative_index_is_refused()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession).WaitAsync(TestRecordings.Timeout);
        var read = () => ReadFromAsync(bytes, -1);
        await read.Should().ThrowAsync<ArgumentOutOfRangeException>().WaitAsync(TestRecordings.Timeout);
    }

    private static string Describe(RecordedEvent recorded) => recorded switch
    {
        OutputEvent output => $"{recorded.Index} {recorded.Offset.Ticks} out {Convert.ToHexString(output.Data.Span)}",
        InputEvent input => $"{recorded.Index} {recorded.Offset.Ticks} in {Convert.ToHexString(input.Data.Span)}",
        MarkerEvent marker => $"{recorded.Index} {recorded.Offset.Ticks} marker {marker.Label}",
        _ => $"{recorded.Index} {recorded.Offset.Ticks} {recorded.GetType().Name}",
    };

    private static async Task<List<RecordedEvent>> ReadFromAsync(byte[] recording, long firstIndex)
    {
        using var reader = RecordingReader.Open(new MemoryStream(recording));
        var events = new List<RecordedEvent>();
        await foreach (var recorded in reader.ReadEventsAsync(firstIndex).WithCancellation(CancellationToken.None))
        {
            events.Add(recorded);
        }

        return events;
    }

    private Task<byte[]> ManySegmentsAsync() => TestRecordings.WriteAsync(
        _key,
        (writer, time) =>
        {
            var random = new Random(7);
            for (var i = 0; i < 300; i++)
            {
                var data = new byte[random.Next(50, 400)];
                random.NextBytes(data);
                if (i % 10 == 0)
                {
                    writer.AppendMarker($"m{i}");
                }
                else if (i % 3 == 0)
                {
                    writer.AppendInput(data);
                }
                else
                {
                    writer.AppendOutput(OutputStream.Terminal, data);
                }

                time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 30)));
            }
        },
        SmallSegments);
}
