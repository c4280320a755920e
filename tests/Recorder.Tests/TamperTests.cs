using Recorder.Format;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class TamperTests : IDisposable
{
    private static readonly RecordingWriterOptions SmallSegments = new() { SegmentBytes = 4096, CheckpointEveryRecords = 20 };
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Untouched_recording_is_intact_and_sealed()
    {
        var bytes = await ManySegmentsAsync();

        var result = TestRecordings.Verify(bytes, _key);

        result.Status.Should().Be(VerificationStatus.IntactAndSealed, result.Detail);
        result.VerifiedRecords.Should().Be(300);
        result.RecordsRead.Should().Be(300);
        result.TamperedAtRecord.Should().BeNull();
    }

    [Fact]
    public async Task Flipping_any_single_byte_is_detected()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var segment = file.Segments.ElementAt(3);
        var (first, records) = RecordingFile.DecodeSegment(segment);

        // Every 97th byte of the file, then one byte inside a decoded record re-compressed consistently.
        for (var position = 0; position < bytes.Length; position += 97)
        {
            var copy = (byte[])bytes.Clone();
            copy[position] ^= 0x01;
            TestRecordings.Verify(copy, _key).Status.Should().NotBe(VerificationStatus.IntactAndSealed, $"byte {position} was flipped");
        }

        records[2][^1] ^= 0x20;
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);
        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered);
        result.Detail.Should().Contain("do not match the hash signed by checkpoint");
        ShouldLocate(result, first + 2);
    }

    [Fact]
    public async Task Dropping_a_record_is_detected_and_located()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var segment = file.Segments.ElementAt(5);
        var (first, records) = RecordingFile.DecodeSegment(segment);
        records.RemoveAt(1);
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered, result.Detail);
        ShouldLocate(result, first + 1);
    }

    [Fact]
    public async Task Reordering_two_records_is_detected_and_located()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var segment = file.Segments.ElementAt(4);
        var (first, records) = RecordingFile.DecodeSegment(segment);
        (records[1], records[2]) = (records[2], records[1]);
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered, result.Detail);
        ShouldLocate(result, first + 1);
    }

    [Fact]
    public async Task Dropping_a_segment_is_detected_and_located()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var segment = file.Segments.ElementAt(6);
        var (first, _) = RecordingFile.DecodeSegment(segment);
        file.Frames.Remove(segment);

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered, result.Detail);
        result.Detail.Should().ContainAny("missing", "removed");
        ShouldLocate(result, first);
    }

    [Fact]
    public async Task Swapping_two_signatures_is_detected_at_the_first_swapped_checkpoint()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var a = file.Checkpoints.ElementAt(2).Body;
        var b = file.Checkpoints.ElementAt(3).Body;
        var signatureA = a[88..];
        b[88..].CopyTo(a, 88);
        signatureA.CopyTo(b, 88);

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered);
        result.Detail.Should().Contain("signature of checkpoint 3 is not valid");
        result.LastValidCheckpoint.Should().Be(2);
    }

    [Fact]
    public async Task Re_signing_with_another_key_is_detected()
    {
        var bytes = await ManySegmentsAsync();
        using var forger = RecordingSigningKey.CreateEphemeral();
        var file = RecordingFile.Parse(bytes);
        var frames = file.Frames;
        var resigned = RecordingFile.Parse(bytes);
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i].Kind is FrameKind.Checkpoint or FrameKind.Seal)
            {
                var original = frames[i].Body;
                var body = Integrity.Checkpoint.CreateBody(frames[i].Kind, BitConverter.ToInt64(original, 0), BitConverter.ToInt64(original, 8), BitConverter.ToInt64(original, 16), original.AsSpan(24, 32), forger);
                resigned.Frames[i] = frames[i] with { Body = body };
            }
        }

        var withForgerId = TestRecordings.Verify(resigned.ToBytes(), _key);
        withForgerId.Status.Should().Be(VerificationStatus.Tampered);
        withForgerId.Detail.Should().Contain("signed by another key");
        withForgerId.TamperedAtRecord.Should().Be(0);

        // The forger claims the broker's key id; the signature then fails.
        foreach (var frame in resigned.Checkpoints)
        {
            _key.KeyId.Span.CopyTo(frame.Body.AsSpan(56));
        }

        var withStolenId = TestRecordings.Verify(resigned.ToBytes(), _key);
        withStolenId.Status.Should().Be(VerificationStatus.Tampered);
        withStolenId.Detail.Should().Contain("signature of checkpoint 1 is not valid");

        TestRecordings.Verify(resigned.ToBytes(), forger).Status.Should().Be(VerificationStatus.Tampered, "the forger's own key does not match the key ids either");
    }

    [Fact]
    public async Task Changing_the_header_is_detected_at_the_first_checkpoint()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var header = System.Text.Encoding.UTF8.GetString(file.Frames[0].Body).Replace("agent@example.com", "other@example.com", StringComparison.Ordinal);
        file.Frames[0] = file.Frames[0] with { Body = System.Text.Encoding.UTF8.GetBytes(header) };

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered);
        result.TamperedAtRecord.Should().Be(0);
        result.LastValidCheckpoint.Should().Be(0);
    }

    [Fact]
    public async Task Data_after_the_seal_is_detected()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        file.Frames.Add(file.Segments.Last());

        var result = TestRecordings.Verify(file.ToBytes(), _key);

        result.Status.Should().Be(VerificationStatus.Tampered);
        result.Detail.Should().Contain("follows the seal");
    }

    [Fact]
    public async Task Truncating_reports_the_last_intact_checkpoint()
    {
        var bytes = await ManySegmentsAsync();
        var file = RecordingFile.Parse(bytes);
        var fourth = file.Checkpoints.ElementAt(3);

        var result = TestRecordings.Verify(bytes[..(fourth.Position + 5 + fourth.Body.Length + 10)], _key);

        result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
        result.LastValidCheckpoint.Should().Be(4);
        var covered = BitConverter.ToInt64(fourth.Body, 8);
        result.VerifiedRecords.Should().Be(covered);
        result.RecordsRead.Should().BeGreaterThanOrEqualTo(covered);
        result.Detail.Should().StartWith($"intact up to checkpoint 4 ({covered} records), then truncated");
    }

    private static void ShouldLocate(VerificationResult result, long record)
    {
        result.TamperedAtRecord.Should().NotBeNull();
        result.TamperedAtRecord!.Value.Should().BeLessThanOrEqualTo(record, result.Detail);
        result.TamperedThroughRecord!.Value.Should().BeGreaterThanOrEqualTo(record, result.Detail);
        (result.TamperedThroughRecord - result.TamperedAtRecord).Should().BeLessThan(SmallSegments.CheckpointEveryRecords + 40, "the location is narrowed to one checkpoint span");
    }

    /// <summary>300 records of 100 bytes in 4 KiB segments, checkpointed every 20 records: many segments and checkpoints.</summary>
    private Task<byte[]> ManySegmentsAsync() => TestRecordings.WriteAsync(_key, (writer, time) =>
    {
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var data = new byte[100];
            random.NextBytes(data);
            time.Advance(TimeSpan.FromMilliseconds(10));
            writer.AppendOutput(OutputStream.Terminal, data);
        }
    }, SmallSegments);
}
