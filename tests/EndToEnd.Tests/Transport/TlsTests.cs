namespace EndToEnd.Tests.Transport;

/// <summary>
/// A broker serving TLS from files named in its configuration, reloaded when they are replaced; agent-client
/// and replay verify its certificate against a private CA (and refuse another CA's, an expired one, or none).
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-tls-" + Guid.NewGuid().ToString("n"));
    private ThrowawayCa _ca = null!;
    private ThrowawayCa _otherCa = null!;
    private BrokerProcess _broker = null!;
    private string _liveCertificate = null!;
    private string _liveKey = null!;

    public async Task InitializeAsync()
    {
        _ca = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "ca"), "good");
        _otherCa = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "other"), "other");
        var (certificate, key) = await _ca.IssueServerAsync("broker-one");
        var live = Directory.CreateDirectory(Path.Combine(_directory, "live")).FullName;
        _liveCertificate = Path.Combine(live, "server.crt");
        _liveKey = Path.Combine(live, "server.key");
        File.Copy(certificate, _liveCertificate);
        File.Copy(key, _liveKey);
        _broker = new BrokerProcess
        {
            Scheme = "https",
            PolicyYaml = AgentPolicy.Allowing("echo") + $"""

                observers:
                  groups: [observers]
                server:
                  tls:
                    certificate: {_liveCertificate}
                    key: {_liveKey}
                    reload_interval: 1s
                  # A busy machine can take longer than the default 10 s over a first handshake (both sides cold):
                  # these tests are about certificates, not about how long a handshake may take.
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
    public async Task Agent_client_reaches_the_broker_over_tls_trusting_the_private_ca_by_flag_or_environment()
    {
        var token = await _broker.TokenAsync("tls-agent");

        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "over-tls");
        code.Should().Be(0, stderr);
        stdout.Should().Be("over-tls\n");

        (code, stdout, stderr) = await BuiltTools.RunAsync(
            BuiltTools.AgentClient,
            ["exec", "--target", "local", "--", "echo", "by-environment"],
            environment: new Dictionary<string, string> { ["BROKER_URL"] = _broker.Url, ["BROKER_TOKEN"] = token, ["BROKER_CA_FILE"] = _ca.Certificate });
        code.Should().Be(0, stderr);
        stdout.Should().Be("by-environment\n");
    }

    [Fact]
    public async Task Mcp_is_reachable_over_http_1_1_on_the_tls_address_beside_grpc()
    {
        using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(_ca.Certificate);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, _broker.Url + "/mcp")
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var token = await _broker.TokenAsync("tls-mcp");
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "grpc-beside-mcp");

        response.Version.Should().Be(System.Net.HttpVersion.Version11);
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized, "no token was sent");
        response.Headers.WwwAuthenticate.ToString().Should().Contain("resource_metadata=");
        code.Should().Be(0, stderr);
        stdout.Should().Be("grpc-beside-mcp\n");
    }

    [Fact]
    public async Task Agent_client_refuses_a_certificate_it_cannot_trust_and_runs_nothing()
    {
        var token = await _broker.TokenAsync("tls-suspicious");

        // The system's CAs do not know the private CA, and another private CA did not sign it.
        // The exit code is not asserted: the handshake failure surfaces as INTERNAL or UNAVAILABLE depending on where it is detected.
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "system-cas");
        code.Should().NotBe(0);
        stderr.Should().Contain("certificate");
        stdout.Should().BeEmpty();
        (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _otherCa.Certificate, "exec", "--target", "local", "--", "echo", "wrong-ca");
        code.Should().NotBe(0);
        stderr.Should().Contain("certificate");
        stdout.Should().BeEmpty();

        // Plaintext to a TLS endpoint gets nowhere either.
        (code, stdout, _) = await BuiltTools.RunAsync(
            BuiltTools.AgentClient,
            ["exec", "--target", "local", "--", "echo", "plaintext"],
            environment: new Dictionary<string, string> { ["BROKER_URL"] = _broker.Url.Replace("https://", "http://", StringComparison.Ordinal), ["BROKER_TOKEN"] = token });
        code.Should().NotBe(0);
        stdout.Should().BeEmpty();
        var recordings = Path.Combine(_broker.DataDirectory, "recordings");
        (Directory.Exists(recordings) ? Directory.EnumerateFiles(recordings, "*.brkrec", SearchOption.AllDirectories) : []).Should().BeEmpty("no session was opened");
    }

    [Fact]
    public async Task Replacing_the_files_changes_the_served_certificate_without_a_restart_and_an_expired_one_is_refused_by_clients()
    {
        var token = await _broker.TokenAsync("tls-reload");
        var endpoint = new Uri(_broker.Url);
        (await ServedCertificate.ThumbprintAsync(endpoint)).Should().Be(ServedCertificate.ThumbprintOf(_liveCertificate));

        var (renewed, renewedKey) = await _ca.IssueServerAsync("broker-two");
        await ReplaceAsync(renewed, renewedKey);
        await WaitForServedAsync(endpoint, ServedCertificate.ThumbprintOf(renewed));
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "after-reload");
        code.Should().Be(0, stderr);
        stdout.Should().Be("after-reload\n");

        var (expired, expiredKey) = await _ca.IssueServerAsync("broker-expired", days: -1);
        await ReplaceAsync(expired, expiredKey);
        await WaitForServedAsync(endpoint, ServedCertificate.ThumbprintOf(expired));
        (code, stdout, stderr) = await _broker.ClientAsync(token, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "expired");
        code.Should().NotBe(0, "an expired certificate is not trusted");
        stderr.Should().Contain("certificate");
        stdout.Should().BeEmpty();

        var (fresh, freshKey) = await _ca.IssueServerAsync("broker-three");
        await ReplaceAsync(fresh, freshKey);
        await WaitForServedAsync(endpoint, ServedCertificate.ThumbprintOf(fresh));
    }

    [Fact]
    public async Task Replay_reads_a_session_by_id_from_the_broker_over_tls()
    {
        var agent = await _broker.TokenAsync("tls-replayed");
        var auditor = await _broker.TokenAsync("tls-auditor", "observers");
        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "--ca-file", _ca.Certificate, "exec", "--target", "local", "--", "echo", "for-the-auditor");
        code.Should().Be(0, stderr);
        var sessionId = Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).Single());

        (code, var stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", sessionId, "--broker", _broker.Url, "--token", auditor, "--ca-file", _ca.Certificate]);
        code.Should().Be(0, stdout + stderr);

        (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", sessionId, "--broker", _broker.Url, "--token", auditor]);
        code.Should().NotBe(0, "without the CA the broker's certificate is not trusted");
    }

    /// <summary>Swaps in new files as a certificate manager does: each written aside, then renamed over the live one.</summary>
    private async Task ReplaceAsync(string certificate, string key)
    {
        foreach (var (source, target) in new[] { (key, _liveKey), (certificate, _liveCertificate) })
        {
            var aside = target + ".new";
            await File.WriteAllBytesAsync(aside, await File.ReadAllBytesAsync(source));
            File.Move(aside, target, overwrite: true);
        }
    }

    private static async Task WaitForServedAsync(Uri endpoint, string thumbprint)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await ServedCertificate.ThumbprintAsync(endpoint) != thumbprint)
        {
            await Task.Delay(100, timeout.Token);
        }
    }
}
