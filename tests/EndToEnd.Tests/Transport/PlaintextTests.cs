using System.Diagnostics;

namespace EndToEnd.Tests.Transport;

/// <summary>Bearer tokens never cross a network in clear by accident: plaintext on a non-loopback address needs --allow-plaintext.</summary>
public sealed class PlaintextTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "broker-plaintext-" + Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_refuses_plaintext_on_every_address_and_names_the_flag_that_would_allow_it()
    {
        var url = $"http://0.0.0.0:{BuiltTools.FreePort()}";

        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["serve", "--dev", "--data", _data, "--urls", url]);

        code.Should().Be(2);
        stderr.Should().Contain($"refusing to listen on {url} without TLS").And.Contain("--allow-plaintext").And.Contain("server.allow_plaintext");
        stderr.Trim().Split('\n').Should().HaveCount(1, "a usage error is one line");
    }

    [Fact]
    public async Task Serve_listens_on_every_address_in_plaintext_when_told_so_explicitly()
    {
        var port = BuiltTools.FreePort();
        var url = $"http://0.0.0.0:{port}";
        var start = new ProcessStartInfo(BuiltTools.Broker) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "serve", "--dev", "--data", _data, "--urls", url, "--allow-plaintext" })
        {
            start.ArgumentList.Add(argument);
        }

        using var broker = Process.Start(start)!;
        try
        {
            _ = broker.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line;
            while ((line = await broker.StandardError.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("broker: listening on", StringComparison.Ordinal))
            {
            }

            line.Should().NotBeNull("the broker starts").And.Contain($":{port}");
        }
        finally
        {
            broker.Kill();
            await broker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
