namespace EndToEnd.Tests.Transport;

/// <summary>A broker that requires a client certificate signed by its clients' CA (mutual TLS), besides the bearer token.</summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-mtls-" + Guid.NewGuid().ToString("n"));
    private ThrowawayCa _ca = null!;
    private ThrowawayCa _otherCa = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _ca = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "ca"), "good");
        _otherCa = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "other"), "other");
        var (certificate, key) = await _ca.IssueServerAsync("broker");
        _broker = new BrokerProcess
        {
            Scheme = "https",
            PolicyYaml = AgentPolicy.Allowing("echo") + $"""

                server:
                  tls:
                    certificate: {certificate}
                    key: {key}
                    client_ca: {_ca.Certificate}
                    require_client_certificate: true
                  # A busy machine can take longer than the default 10 s over a first handshake (both sides cold):
                  # this test is about whose certificate gets in, not about how long a handshake may take.
                  limits:
                    request_headers_timeout: 2m
                    unauthenticated_timeout: 2m
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

    [Fact]
    public async Task A_client_with_a_certificate_from_the_clients_ca_gets_in_and_one_without_or_from_another_ca_does_not()
    {
        var token = await _broker.TokenAsync("mtls-agent");
        var (clientCertificate, clientKey) = await _ca.IssueClientAsync("agent");
        var (strangerCertificate, strangerKey) = await _otherCa.IssueClientAsync("stranger");

        var (code, stdout, stderr) = await _broker.ClientAsync(token, null,
            "--ca-file", _ca.Certificate, "--client-cert", clientCertificate, "--client-key", clientKey, "exec", "--target", "local", "--", "echo", "mutual");
        code.Should().Be(0, stderr);
        stdout.Should().Be("mutual\n");

        (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "no-certificate");
        code.Should().Be(6, "the handshake fails without a client certificate: {0}", stderr);
        stdout.Should().BeEmpty();

        (code, stdout, stderr) = await _broker.ClientAsync(token, null,
            "--ca-file", _ca.Certificate, "--client-cert", strangerCertificate, "--client-key", strangerKey, "exec", "--target", "local", "--", "echo", "stranger");
        code.Should().Be(6, "a certificate from another CA is refused: {0}", stderr);
        stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task A_client_certificate_without_its_key_is_a_usage_error_naming_both()
    {
        var token = await _broker.TokenAsync("mtls-careless");
        var (clientCertificate, _) = await _ca.IssueClientAsync("half");

        var (code, _, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "--client-cert", clientCertificate, "exec", "--target", "local", "--", "echo", "x");

        code.Should().NotBe(0);
        stderr.Should().Contain("certificate and its key");
    }
}
