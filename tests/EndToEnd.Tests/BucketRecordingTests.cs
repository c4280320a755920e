using System.Diagnostics;
using Amazon.Runtime;
using Broker.TestSupport.ObjectStore;
using Recorder;
using Recorder.ObjectStore;

namespace EndToEnd.Tests;

/// <summary>
/// A broker process with <c>server.recording.object_store</c> on a real S3-compatible server: a sealed recording
/// is read by <c>replay</c> straight from the bucket, and after a kill -9 mid-session the bucket holds the
/// recording up to a checkpoint, which verifies as truncated there.
/// </summary>
public sealed class BucketRecordingTests
{
    private const string Prefix = "e2e/broker";
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_sealed_recording_is_replayed_and_verified_by_replay_from_its_s3_location()
    {
        await using var s3 = await S3ServerFixture.StartAsync();
        await using var broker = Broker(s3);
        await broker.InitializeAsync();
        using var bucket = BucketOf(s3);
        var token = await broker.TokenAsync("bucket-agent");

        var (code, stdout, stderr) = await broker.ClientAsync(token, "kept in the bucket\n", "exec", "--target", "local", "--", "cat");
        code.Should().Be(0, stderr);
        stdout.Should().Be("kept in the bucket\n");
        var sessionId = SessionIdOf(broker);
        await WaitForBucketAsync(bucket, sessionId, copy => RecordingVerifier.Verify(copy, PublicKey(broker)).Status == VerificationStatus.IntactAndSealed);

        var location = bucket.Address.LocationOf(sessionId);
        var verify = await ReplayAsync(s3, ["verify", "--public-key", PublicKeyFile(broker), location]);
        verify.Code.Should().Be(0, verify.Stdout + verify.Stderr);
        verify.Stdout.Should().Contain("intact");
        var export = await ReplayAsync(s3, ["export", "--format", "text", location]);
        export.Code.Should().Be(0, export.Stderr);
        export.Stdout.Should().Contain("kept in the bucket");
    }

    [Fact]
    public async Task After_kill_9_mid_session_the_bucket_recording_verifies_as_truncated_at_a_checkpoint()
    {
        await using var s3 = await S3ServerFixture.StartAsync();
        var broker = Broker(s3);
        await broker.InitializeAsync();
        Process? client = null;
        try
        {
            using var bucket = BucketOf(s3);
            var token = await broker.TokenAsync("crash-agent");
            client = Process.Start(new ProcessStartInfo(BuiltTools.AgentClient)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                ArgumentList = { "exec", "--target", "local", "--", "cat" },
                Environment = { ["BROKER_URL"] = broker.Url, ["BROKER_TOKEN"] = token },
            })!;
            await client.StandardInput.WriteLineAsync("line before the crash");
            await client.StandardInput.FlushAsync();
            (await client.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))).Should().Be("line before the crash");
            var sessionId = SessionIdOf(broker);

            // The bucket only ever receives signed ranges: once the line is in it, it is under a checkpoint there.
            await WaitForBucketAsync(bucket, sessionId, copy => ExportText(copy).Contains("line before the crash", StringComparison.Ordinal));
            broker.KillHard();

            var local = await File.ReadAllBytesAsync(Directory.EnumerateFiles(Path.Combine(broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).Single());
            await using var copy = await bucket.DownloadToTemporaryFileAsync(sessionId, CancellationToken.None);
            var remote = new byte[copy.Length];
            await copy.ReadExactlyAsync(remote);
            local.AsSpan(0, remote.Length).SequenceEqual(remote).Should().BeTrue("the bucket holds a prefix of the local file");
            copy.Position = 0;
            SignedPrefix.LengthOf(copy).Should().Be(remote.Length, "the bucket's copy ends at a checkpoint");

            var location = bucket.Address.LocationOf(sessionId);
            var verify = await ReplayAsync(s3, ["verify", "--public-key", PublicKeyFile(broker), location]);
            verify.Code.Should().Be(10, verify.Stdout + verify.Stderr);
            verify.Stdout.Should().Contain("checkpoint");
            var export = await ReplayAsync(s3, ["export", "--format", "text", location]);
            export.Code.Should().BeOneOf(0, 10);
            export.Stdout.Should().Contain("line before the crash");
        }
        finally
        {
            if (client is { HasExited: false })
            {
                client.Kill();
            }

            client?.Dispose();
            await broker.DisposeAsync();
        }
    }

    private static BrokerProcess Broker(S3ServerFixture s3) => new()
    {
        PolicyYaml = AgentPolicy.Allowing("cat") + $$"""

            server:
              recording:
                object_store:
                  bucket: {{s3.Bucket}}
                  prefix: {{Prefix}}
                  endpoint: {{s3.Endpoint}}
                  region: us-east-1
                  path_style: true
                  access_key_id_env: BROKER_TEST_S3_KEY_ID
                  secret_access_key_env: BROKER_TEST_S3_SECRET
            """,
        Environment = new Dictionary<string, string>
        {
            ["BROKER_TEST_S3_KEY_ID"] = S3ServerFixture.AccessKeyId,
            ["BROKER_TEST_S3_SECRET"] = S3ServerFixture.SecretAccessKey,
        },
    };

    private static RecordingBucket BucketOf(S3ServerFixture s3) => new(
        BucketClient.Create(s3.Endpoint, "us-east-1", pathStyle: true, new BasicAWSCredentials(S3ServerFixture.AccessKeyId, S3ServerFixture.SecretAccessKey)),
        new BucketAddress(s3.Bucket, Prefix));

    /// <summary>replay as an auditor runs it against the bucket: the SDK's credentials from the environment.</summary>
    private static Task<(int Code, string Stdout, string Stderr)> ReplayAsync(S3ServerFixture s3, string[] args) =>
        BuiltTools.RunAsync(BuiltTools.Replay, ["--s3-endpoint", s3.Endpoint.ToString(), .. args], environment: new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = S3ServerFixture.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = S3ServerFixture.SecretAccessKey,
            ["AWS_REGION"] = "us-east-1",
        });

    private static string SessionIdOf(BrokerProcess broker) =>
        Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(Path.Combine(broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).Single());

    private static string PublicKeyFile(BrokerProcess broker) => Path.Combine(broker.DataDirectory, "recording-key.pub.pem");

    private static string PublicKey(BrokerProcess broker) => File.ReadAllText(PublicKeyFile(broker));

    private static string ExportText(Stream recording)
    {
        var text = new System.Text.StringBuilder();
        foreach (var item in RecordingReader.Open(recording).ReadEventsAsync(CancellationToken.None).ToBlockingEnumerable())
        {
            if (item is OutputEvent output)
            {
                text.Append(System.Text.Encoding.UTF8.GetString(output.Data.Span));
            }
        }

        return text.ToString();
    }

    /// <summary>Polls the bucket's copy of the recording until <paramref name="done"/> holds for it.</summary>
    private static async Task WaitForBucketAsync(RecordingBucket bucket, string sessionId, Func<Stream, bool> done)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            await using (var copy = await bucket.DownloadToTemporaryFileAsync(sessionId, CancellationToken.None))
            {
                if (copy.Length > 0 && done(copy))
                {
                    return;
                }
            }

            if (limit.Elapsed > UploadTimeout)
            {
                throw new TimeoutException($"the bucket never held the expected recording of {sessionId}");
            }

            await Task.Delay(100);
        }
    }
}
