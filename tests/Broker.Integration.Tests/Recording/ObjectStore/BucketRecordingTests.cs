using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Recording;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Recorder;
using VerificationStatus = Recorder.VerificationStatus;
using Recorder.ObjectStore;

namespace Broker.Integration.Tests.Recording.ObjectStore;

/// <summary>
/// Recordings copied to a real S3-compatible server as they are signed: what is in the bucket verifies as the
/// local file does, and the broker serves a recording from the bucket once its local file is gone.
/// </summary>
public sealed class BucketRecordingTests : IClassFixture<BucketBrokerFixture>
{
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromSeconds(90);
    private readonly BucketBrokerFixture _broker;

    public BucketRecordingTests(BucketBrokerFixture broker) => _broker = broker;

    private RecordingService.RecordingServiceClient Auditor => _broker.Recordings(_broker.Token("auditor", "observers"));

    private string PublicKey => File.ReadAllText(Path.Combine(_broker.DataDirectory, "recording-key.pub.pem"));

    [Fact]
    public async Task A_sealed_recording_is_in_the_bucket_byte_for_byte_and_verifies_intact_and_sealed()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("bucket-agent")), "seq 1 2000");
        result.Exit!.Code.Should().Be(0);
        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        var local = await File.ReadAllBytesAsync(path);

        await _broker.WaitForUploadAsync(result.SessionId, local.Length, UploadTimeout);

        await using var copy = await _broker.Bucket.DownloadToTemporaryFileAsync(result.SessionId, CancellationToken.None);
        var remote = new byte[copy.Length];
        await copy.ReadExactlyAsync(remote);
        remote.Should().Equal(local);
        copy.Position = 0;
        var verdict = RecordingVerifier.Verify(copy, PublicKey);
        verdict.Status.Should().Be(VerificationStatus.IntactAndSealed);
        verdict.Header!.SessionId.Should().Be(result.SessionId);
    }

    [Fact]
    public async Task The_signing_public_key_is_published_in_the_bucket_under_its_key_id()
    {
        var keyId = _broker.Services.GetRequiredService<RecordingStore>().Key.KeyIdHex;
        using var cts = new CancellationTokenSource(UploadTimeout);
        string? published;
        while ((published = await _broker.Bucket.GetPublicKeyAsync(keyId, cts.Token)) is null)
        {
            await Task.Delay(50, cts.Token);
        }

        published.Should().Be(PublicKey);
    }

    [Fact]
    public async Task With_the_local_file_deleted_get_download_and_stream_are_served_from_the_bucket()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("bucket-agent")), "echo from-the-bucket");
        result.Exit!.Code.Should().Be(0);
        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        var local = await File.ReadAllBytesAsync(path);
        await _broker.WaitForUploadAsync(result.SessionId, local.Length, UploadTimeout);
        File.Delete(path);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var got = await Auditor.GetRecordingAsync(new GetRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        got.Verification.Status.Should().Be(Broker.Protocol.V1.VerificationStatus.IntactAndSealed);
        got.Recording.SizeBytes.Should().Be(local.Length);

        using var download = Auditor.DownloadRecording(new DownloadRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        using var downloaded = new MemoryStream();
        await foreach (var chunk in download.ResponseStream.ReadAllAsync(cts.Token))
        {
            downloaded.Write(chunk.Chunk.Span);
        }

        downloaded.ToArray().Should().Equal(local);

        using var stream = Auditor.StreamRecording(new StreamRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        var output = new List<byte>();
        await foreach (var frame in stream.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (frame.Event.EventCase == RecordingEvent.EventOneofCase.Output)
            {
                output.AddRange(frame.Event.Output.Data.ToByteArray());
            }
        }

        output.Should().Equal(result.Stdout);
    }

    [Fact]
    public async Task The_store_down_during_a_session_leaves_the_session_alone_and_the_upload_completes_when_it_is_back()
    {
        await _broker.S3.StopAsync();
        ExecResult result;
        byte[] local;
        try
        {
            result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("outage-agent")), "seq 1 500");
            result.Exit!.Code.Should().Be(0);
            result.StdoutText.Should().Be(string.Join("", Enumerable.Range(1, 500).Select(i => i + "\n")));
            local = await File.ReadAllBytesAsync(await SealedRecording.WaitAsync(_broker, result.SessionId));
        }
        finally
        {
            await _broker.S3.StartAgainAsync();
        }

        await _broker.WaitForUploadAsync(result.SessionId, local.Length, UploadTimeout);
        await using var copy = await _broker.Bucket.DownloadToTemporaryFileAsync(result.SessionId, CancellationToken.None);
        RecordingVerifier.Verify(copy, PublicKey).Status.Should().Be(VerificationStatus.IntactAndSealed);
    }
}

/// <summary>Retention over a bucket: an expired recording goes from the data directory and from the bucket.</summary>
public sealed class BucketRetentionTests : IClassFixture<ShortRetentionBucketBrokerFixture>
{
    private readonly ShortRetentionBucketBrokerFixture _broker;

    public BucketRetentionTests(ShortRetentionBucketBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_sweep_deletes_an_expired_recording_from_the_bucket_as_well_as_the_disk()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("expiring-agent")), "echo expiring");
        result.Exit!.Code.Should().Be(0);
        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        await _broker.WaitForUploadAsync(result.SessionId, new FileInfo(path).Length, TimeSpan.FromSeconds(90));
        var catalog = _broker.Services.GetRequiredService<RecordingCatalog>();
        using var ended = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (catalog.Index.Get(result.SessionId)?.EndedAt is null)
        {
            await Task.Delay(20, ended.Token);
        }

        _broker.Services.GetRequiredService<RecordingMaintenance>().Sweep().Should().BeGreaterThanOrEqualTo(1);

        File.Exists(path).Should().BeFalse();
        (await _broker.Bucket.ListPartsAsync(result.SessionId, CancellationToken.None)).Should().BeEmpty();
        catalog.Find(result.SessionId).Should().BeNull();
    }
}
