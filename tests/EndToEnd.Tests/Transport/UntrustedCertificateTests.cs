namespace EndToEnd.Tests.Transport;

/// <summary>
/// A broker whose certificate agent-client cannot trust is a broker it cannot reach: exit 6 (unavailable, as
/// PRODUCT.md and docs/cli.md list it), one line that says the certificate is not trusted, and nothing run.
/// </summary>
public sealed class UntrustedCertificateTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-untrusted-" + Guid.NewGuid().ToString("n"));
    private ThrowawayCa _ca = null!;
    private ThrowawayCa _otherCa = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _ca = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "ca"), "served");
        _otherCa = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "other"), "other");
        var (certificate, key) = await _ca.IssueServerAsync("broker-untrusted");
        _broker = new BrokerProcess
        {
            Scheme = "https",
            PolicyYaml = AgentPolicy.Allowing("echo") + $"""

                server:
                  tls:
                    certificate: {certificate}
                    key: {key}
                """,
        };
        await _broker.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_untrusted_server_certificate_exits_6_with_one_line_saying_so_and_runs_nothing(bool otherCa)
    {
        var token = await _broker.TokenAsync("untrusted-" + (otherCa ? "other-ca" : "system-cas"));
        string[] trust = otherCa ? ["--ca-file", _otherCa.Certificate] : [];

        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, [.. trust, "exec", "--target", "local", "--", "echo", "must-not-run"]);

        code.Should().Be(6, stderr);
        stdout.Should().BeEmpty();
        stderr.TrimEnd('\n').Should().NotContain("\n", "a failure is one line").And.Contain("certificate").And.Contain(_broker.Url);
        var recordings = Path.Combine(_broker.DataDirectory, "recordings");
        (Directory.Exists(recordings) ? Directory.EnumerateFiles(recordings, "*.brkrec", SearchOption.AllDirectories) : []).Should().BeEmpty("no session was opened");
    }
}
