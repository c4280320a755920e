using System.Diagnostics;
using Amazon.Runtime;
using Broker.TestSupport;
using Broker.TestSupport.ObjectStore;
using Recorder;
using Recorder.ObjectStore;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Two replicas sharing one PostgreSQL database (the recording index) and one bucket (the recordings), each with its
/// own data directory and signing key: a session recorded on A is listed, downloaded and verified through B once A
/// has stopped and its data directory is gone, and A's public key is the one A published in the database.
/// </summary>
public sealed class SharedRecordingTests : IAsyncLifetime, IDisposable
{
    private const string Prefix = "replicas";
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("shared-recordings-e2e-");
    private S3ServerFixture _s3 = null!;

    public async Task InitializeAsync()
    {
        _s3 = await S3ServerFixture.StartAsync();
        await _cluster.InitializeAsync();
    }

    [Fact]
    public async Task A_recording_made_on_A_is_listed_downloaded_and_verified_through_B_after_A_is_gone()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1), bucket: _s3, recordingsPrefix: Prefix);
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromMinutes(1), bucket: _s3, recordingsPrefix: Prefix);
        await a.InitializeAsync();
        await b.InitializeAsync();
        var agent = await a.TokenAsync("agent-shared-index");
        var op = await b.TokenAsync("op-shared-index", "operators");

        var (code, stdout, stderr) = await a.ClientAsync(agent, null, "exec", "--target", "local", "--", "echo", "made-on-a");
        code.Should().Be(0, stderr);
        stdout.Should().Be("made-on-a\n");
        var sessionId = await EndedSessionThroughAsync(b, op);

        // A's key as A published it in the shared database; the auditor pins it for the verification through B.
        var keyOfA = await PublishedKeyAsync("replica-a");
        keyOfA.Should().Be(File.ReadAllText(Path.Combine(a.DataDirectory, "recording-key.pub.pem")));
        var keyFile = _scratch.File("replica-a.pub.pem");
        await File.WriteAllTextAsync(keyFile, keyOfA);
        using (var bucket = BucketOf(_s3))
        {
            await WaitForSealedCopyAsync(bucket, sessionId, keyOfA);
        }

        await a.DisposeAsync();
        Directory.Exists(a.DataDirectory).Should().BeFalse("A's local copy is gone: what B serves comes from the bucket");

        (await EndedSessionThroughAsync(b, op)).Should().Be(sessionId);
        var export = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", sessionId, "--broker", b.Url, "--token", op]);
        export.Code.Should().Be(0, export.Stderr);
        export.Stdout.Should().Contain("made-on-a");
        var verify = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", sessionId, "--broker", b.Url, "--token", op, "--public-key", keyFile]);
        verify.Code.Should().Be(0, verify.Stdout + verify.Stderr);
        verify.Stdout.Should().Contain("intact");
        b.Log.Should().NotContain("marked missing", "B's start and repair never judge A's recordings");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _s3.DisposeAsync();
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>The one recording in the index as <paramref name="replica"/> lists it, once it has ended.</summary>
    private static async Task<string> EndedSessionThroughAsync(BrokerProcess replica, string token)
    {
        string? line = null;
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                var (code, stdout, _) = await replica.ClientAsync(token, null, "recordings", "list", "--subject", "agent-shared-index");
                line = code == 0 ? stdout.Split('\n').SingleOrDefault(l => l.StartsWith("s-", StringComparison.Ordinal)) : null;
                return line?.Contains("ended", StringComparison.Ordinal) == true;
            },
            "the recording is listed as ended");
        return line!.Split(' ', 2)[0];
    }

    private async Task<string> PublishedKeyAsync(string replicaId)
    {
        await using var command = _cluster.Database.CreateCommand("SELECT public_key_pem FROM recording_keys WHERE replica = @replica");
        command.Parameters.AddWithValue("replica", replicaId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static RecordingBucket BucketOf(S3ServerFixture s3) => new(
        BucketClient.Create(s3.Endpoint, "us-east-1", pathStyle: true, new BasicAWSCredentials(S3ServerFixture.AccessKeyId, S3ServerFixture.SecretAccessKey)),
        new BucketAddress(s3.Bucket, Prefix));

    private static async Task WaitForSealedCopyAsync(RecordingBucket bucket, string sessionId, string publicKey)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            await using (var copy = await bucket.DownloadToTemporaryFileAsync(sessionId, CancellationToken.None))
            {
                if (copy.Length > 0 && RecordingVerifier.Verify(copy, publicKey).Status == VerificationStatus.IntactAndSealed)
                {
                    return;
                }
            }

            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"the bucket never held the sealed recording of {sessionId}");
            }

            await Task.Delay(100);
        }
    }
}
