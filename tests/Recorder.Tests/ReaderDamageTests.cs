using System.Buffers.Binary;
using System.Text;
using Recorder.Format;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>The reader on damaged and crafted files: it never throws, delivers every record before the damage, and says where it stopped.</summary>
public sealed class ReaderDamageTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_bad_record_in_the_middle_of_a_segment_keeps_the_records_before_it()
    {
        var (events, reader) = await ReadAsync(await CraftedRecordings.BadRecordMidSegmentAsync(_key));

        events.Select(e => e.Index).Should().Equal(0, 1, 2, 3, 4);
        reader.Damage.Should().NotBeNull();
        reader.Damage!.RecordIndex.Should().Be(5);
        reader.Damage.Reason.Should().StartWith("record payload is not valid");
        reader.Damage.BudgetExceeded.Should().BeFalse();
    }

    [Fact]
    public async Task Compressed_data_damaged_part_way_keeps_the_records_that_decompress_before_the_damage()
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, TestRecordings.OneSegment, seal: false));
        var next = file.Segments.Sum(s => RecordingFile.DecodeSegment(s).Records.Count);
        var random = new Random(4);
        var records = Enumerable.Range(0, 64).Select(_ =>
        {
            var payload = new byte[16 * 1024];
            random.NextBytes(payload.AsSpan(1, 4096));
            return RecordingFile.EncodeRecord((byte)RecordType.Output, 9_000_000_000, payload);
        }).ToList();
        var segment = RecordingFile.EncodeSegment(next, records, level: 1);

        // Damage in the last quarter of the compressed data: the blocks before it still decompress
        // (zstd checks its checksum at the end, so the damaged block itself may come out garbled).
        segment.Body[segment.Body.Length * 3 / 4] ^= 0x5A;
        file.Frames.Add(segment);

        var (events, reader) = await ReadAsync(file.ToBytes());

        var fromSegment = events.Count - next;
        fromSegment.Should().BeGreaterThan(0).And.BeLessThan(64);
        events.Skip(next).Take(fromSegment - 1).OfType<OutputEvent>().Should().OnlyContain(e => e.Data.Length == (16 * 1024) - 1);
        reader.Damage!.RecordIndex.Should().Be(events.Count);
        reader.Damage.Reason.Should().Contain("does not decompress");
    }

    [Fact]
    public async Task A_segment_larger_than_it_declares_is_damage_and_is_not_decompressed_beyond_its_declared_size()
    {
        var (events, reader) = await ReadAsync(await CraftedRecordings.SegmentLargerThanDeclaredAsync(_key));

        events.Should().HaveCount(17, "the shell session before it");
        reader.Damage!.Reason.Should().Be("segment decompresses to more than the 4096 bytes its prefix declares");
        reader.DecompressedBytes.Should().BeLessThan(64 * 1024);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(300_000_000)]
    [InlineData(-1)]
    public async Task A_record_count_no_segment_could_hold_is_damage_and_sizes_nothing(int count)
    {
        var bytes = await CraftedRecordings.RecordCountAsync(_key, count);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var (events, reader) = await ReadAsync(bytes);

        events.Should().NotBeEmpty();
        reader.Damage!.Reason.Should().Be("segment prefix is not valid");
        reader.Damage.RecordIndex.Should().Be(events.Count);
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64L * 1024 * 1024, "nothing is sized from the count");
    }

    [Fact]
    public async Task Reading_stops_with_a_budget_notice_before_passing_the_decompressed_bytes_budget()
    {
        var bytes = await CraftedRecordings.ZstdBombAsync(_key, segments: 8);

        var (events, reader) = await ReadAsync(bytes, new RecordingReaderOptions { MaxDecompressedBytes = 40L * 1024 * 1024 });

        events.Should().HaveCount(1 + (2 * 16), "two segments of 16 MiB fit the budget, a third would not");
        reader.Damage!.BudgetExceeded.Should().BeTrue();
        reader.Damage.RecordIndex.Should().Be(events.Count);
        reader.DecompressedBytes.Should().BeLessThanOrEqualTo(40L * 1024 * 1024);
    }

    [Fact]
    public async Task Offsets_going_backwards_stop_the_reader_where_they_do()
    {
        var (events, reader) = await ReadAsync(await CraftedRecordings.OffsetsGoingBackwardsAsync(_key));

        events.Should().HaveCount(12);
        reader.Damage!.RecordIndex.Should().Be(12);
        reader.Damage.Reason.Should().Be("its time offset goes backwards");
    }

    [Fact]
    public async Task A_structured_record_longer_than_the_writer_allows_is_damage()
    {
        var (_, reader) = await ReadAsync(await CraftedRecordings.OversizedStructuredRecordAsync(_key));

        reader.Damage!.Reason.Should().StartWith("a Notice record of 2097").And.EndWith(" bytes is longer than the 1048576 the writer allows");
    }

    [Fact]
    public async Task A_frame_that_cannot_be_a_frame_is_damage_at_the_next_record()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, TestRecordings.OneSegment);
        var file = RecordingFile.Parse(bytes);
        var frames = file.ToBytes();
        var segmentEnd = file.Segments.First().Position + 5 + file.Segments.First().Body.Length;
        frames[segmentEnd] = 0x7E;

        var (events, reader) = await ReadAsync(frames);

        events.Should().HaveCount(17);
        reader.Damage!.RecordIndex.Should().Be(17);
        reader.Damage.Reason.Should().Contain("0x7e is not a frame kind");
    }

    [Fact]
    public async Task A_seal_with_a_negative_offset_gives_no_negative_duration()
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession));
        BinaryPrimitives.WriteInt64LittleEndian(file.Frames.Last().Body.AsSpan(16), long.MinValue);

        var (_, reader) = await ReadAsync(file.ToBytes());

        reader.Sealed.Should().BeTrue();
        reader.Duration.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public async Task Shared_data_buffers_hold_the_same_bytes_while_each_event_is_consumed()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession);
        var copied = await TestRecordings.ReadAllAsync(bytes);
        using var reader = RecordingReader.Open(new MemoryStream(bytes), new RecordingReaderOptions { ShareDataBuffers = true });
        var shared = new List<string>();

        await foreach (var recorded in reader.ReadEventsAsync())
        {
            shared.Add(recorded is OutputEvent output ? Encoding.UTF8.GetString(output.Data.Span) : recorded.GetType().Name);
        }

        shared.Should().Equal(copied.Select(e => e is OutputEvent output ? Encoding.UTF8.GetString(output.Data.Span) : e.GetType().Name));
    }

    private static async Task<(List<RecordedEvent> Events, RecordingReader Reader)> ReadAsync(byte[] bytes, RecordingReaderOptions? options = null)
    {
        var reader = RecordingReader.Open(new MemoryStream(bytes), options ?? RecordingReaderOptions.Default);
        var events = new List<RecordedEvent>();
        await foreach (var recorded in reader.ReadEventsAsync().WithCancellation(CancellationToken.None))
        {
            events.Add(recorded);
        }

        return (events, reader);
    }
}
