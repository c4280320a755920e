using System.Diagnostics;
using System.Text;

namespace Broker.TestSupport.ObjectStore;

/// <summary>
/// A real S3-compatible server (the npm package <c>s3rver</c>, run by <c>tests/fixtures/s3/server.mjs</c>) on
/// 127.0.0.1 and a free port, storing objects in a temporary directory of its own, with one bucket created.
/// It checks request signatures: clients sign with <see cref="AccessKeyId"/> and <see cref="SecretAccessKey"/>.
/// <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> take it down and bring it back on the same port and
/// directory (an outage). Disposing stops it and deletes the directory.
/// </summary>
public sealed class S3ServerFixture : IAsyncDisposable
{
    private const string ReadyPrefix = "S3_FIXTURE_READY ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder _output = new();
    private Process? _process;

    private S3ServerFixture(string bucket, string directory)
    {
        Bucket = bucket;
        Directory = directory;
    }

    /// <summary>The access key id s3rver accepts.</summary>
    public const string AccessKeyId = "S3RVER";

    /// <summary>Its secret access key.</summary>
    public const string SecretAccessKey = "S3RVER";

    /// <summary>The bucket created at start.</summary>
    public string Bucket { get; }

    /// <summary>Where the server keeps the objects.</summary>
    public string Directory { get; }

    /// <summary>The server's address (<c>http://127.0.0.1:port</c>), the same across a restart.</summary>
    public Uri Endpoint { get; private set; } = new("http://127.0.0.1");

    /// <summary>What the node process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server with an empty bucket named <paramref name="bucket"/>.</summary>
    public static async Task<S3ServerFixture> StartAsync(string bucket = "recordings", CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("s3rver-").FullName;
        var fixture = new S3ServerFixture(bucket, directory);
        try
        {
            await fixture.LaunchAsync(port: 0, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await fixture.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return fixture;
    }

    /// <summary>Stops the server (closes its input and waits for it to exit): requests are refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(StopTimeout);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            process.Kill(entireProcessTree: true);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the server again on the same port and directory (the objects stored before are still there).</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken = default) => LaunchAsync(Endpoint.Port, cancellationToken);

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    private async Task LaunchAsync(int port, CancellationToken cancellationToken)
    {
        var fixturesDirectory = Path.Combine(RepositoryRoot.Path, "tests", "fixtures");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = fixturesDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["S3_FIXTURE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["S3_FIXTURE_DIRECTORY"] = Directory,
                ["S3_FIXTURE_BUCKET"] = Bucket,
            },
        };
        start.ArgumentList.Add(Path.Combine(fixturesDirectory, "s3", "server.mjs"));
        var process = new Process { StartInfo = start };
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("s3rver exited before it was ready:\n" + Output));
                return;
            }

            Append(e.Data);
            if (e.Data.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data[ReadyPrefix.Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Endpoint = new Uri(await ready.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false));
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
