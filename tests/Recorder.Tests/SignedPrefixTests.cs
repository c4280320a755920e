using System.Collections.Concurrent;
using Recorder.ObjectStore;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// Where the signed part of a recording ends, as the writer announces it and as a reader finds it: what an object
/// store copy is cut at, so that the copy verifies as the file does up to there.
/// </summary>
public sealed class SignedPrefixTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_file_cut_anywhere_has_a_signed_prefix_that_verifies_to_the_same_checkpoint_as_the_cut_file()
    {
        var bytes = await TestRecordings.WriteAsync(_key, Output, new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 20 });

        for (var cut = 0; cut <= bytes.Length; cut += 37)
        {
            var truncated = bytes[..cut];
            var signed = SignedPrefix.LengthOf(new MemoryStream(truncated));
            signed.Should().BeLessThanOrEqualTo(cut);
            if (signed == 0)
            {
                TestRecordings.Verify(truncated, _key).LastValidCheckpoint.Should().Be(0, $"cut at {cut}");
                continue;
            }

            var whole = TestRecordings.Verify(truncated, _key);
            var prefix = TestRecordings.Verify(bytes[..(int)signed], _key);
            prefix.LastValidCheckpoint.Should().Be(whole.LastValidCheckpoint, $"cut at {cut}");
            prefix.VerifiedRecords.Should().Be(whole.VerifiedRecords, $"cut at {cut}");
            prefix.RecordsRead.Should().Be(prefix.VerifiedRecords, "nothing unsigned follows the last checkpoint of a signed prefix");
        }

        SignedPrefix.LengthOf(new MemoryStream(bytes)).Should().Be(bytes.Length, "a sealed file is signed to its end");
    }

    [Fact]
    public async Task The_writer_announces_each_checkpoint_and_the_seal_with_the_length_signed_so_far()
    {
        var announced = new ConcurrentQueue<RecordingSignedEventArgs>();
        var bytes = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            writer.Signed += (_, signed) => announced.Enqueue(signed);
            Output(writer, time);
        }, new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 20 });

        var lengths = announced.Select(a => a.Length).ToList();
        lengths.Should().HaveCountGreaterThan(2).And.BeInAscendingOrder();
        announced.Last().IsSeal.Should().BeTrue();
        announced.SkipLast(1).Should().OnlyContain(a => !a.IsSeal);
        lengths[^1].Should().Be(bytes.Length);
        foreach (var length in lengths)
        {
            SignedPrefix.LengthOf(new MemoryStream(bytes[..(int)length])).Should().Be(length, "each announced length ends at a checkpoint or the seal");
        }
    }

    [Fact]
    public void Bucket_keys_and_locations_round_trip_and_sort_in_the_order_of_the_recording()
    {
        var address = new BucketAddress("team-recordings", "prod/eu-1");
        address.PartKey("s-1", 1234).Should().Be("prod/eu-1/recordings/s-1/00000000000000001234");
        address.PublicKeyKey("abcd").Should().Be("prod/eu-1/keys/abcd.pem");
        address.TryParsePart("s-1", address.PartKey("s-1", 99), out var offset).Should().BeTrue();
        offset.Should().Be(99);
        address.TryParsePart("s-1", address.PartKey("s-12", 99), out _).Should().BeFalse();
        string.CompareOrdinal(address.PartKey("s-1", 999), address.PartKey("s-1", 1000)).Should().BeNegative();

        BucketAddress.TryParseLocation(address.LocationOf("s-1"), out var parsed, out var sessionId).Should().BeTrue();
        parsed.Should().Be(address);
        sessionId.Should().Be("s-1");
        BucketAddress.TryParseLocation("s3://bucket/recordings/s-2", out var root, out _).Should().BeTrue();
        root.Should().Be(new BucketAddress("bucket", ""));
        BucketAddress.TryParseLocation("s3://bucket/recordings/../keys", out _, out _).Should().BeFalse();
        BucketAddress.TryParseLocation("/var/lib/broker/recordings/s-1.brkrec", out _, out _).Should().BeFalse();
    }

    [Fact]
    public void A_recording_in_a_bucket_is_its_parts_up_to_the_first_gap()
    {
        var parts = new[] { new RecordingPart("c", 300, 50), new RecordingPart("a", 0, 100), new RecordingPart("b", 100, 100) };

        RecordingPart.Contiguous(parts).Select(p => p.Key).Should().Equal("a", "b");
        RecordingPart.Contiguous(parts[..1]).Should().BeEmpty("a recording without its first part has no readable start");
    }

    private static void Output(RecordingWriter writer, Microsoft.Extensions.Time.Testing.FakeTimeProvider time)
    {
        for (var i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            writer.AppendOutput(OutputStream.Terminal, System.Text.Encoding.ASCII.GetBytes($"line {i} of output\r\n"));
        }
    }
}
