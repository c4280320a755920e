using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Broker.TestSupport.Oidc;

/// <summary>
/// A real OpenID provider (the npm package <c>oidc-provider</c>, run by
/// <c>tests/fixtures/oidc/provider.mjs</c>) on 127.0.0.1 and a free port. Agents get JWT access
/// tokens from it with the client-credentials grant, the audience chosen by resource indicator.
/// Disposing kills the node process.
/// </summary>
public sealed class OidcProviderFixture : IAsyncDisposable
{
    private const string ReadyPrefix = "OIDC_FIXTURE_READY ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, OidcClient> _clients;

    private OidcProviderFixture(Process process, IReadOnlyList<OidcClient> clients)
    {
        _process = process;
        _clients = clients.ToDictionary(c => c.ClientId);
    }

    /// <summary>The issuer URL (<c>http://127.0.0.1:port</c>), the <c>iss</c> of its tokens.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>The discovery document's address.</summary>
    public Uri MetadataAddress => new(Issuer + "/.well-known/openid-configuration");

    /// <summary>The JWKS address.</summary>
    public Uri JwksAddress => new(Issuer + "/jwks");

    /// <summary>The clients it knows.</summary>
    public IReadOnlyCollection<OidcClient> Clients => _clients.Values;

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

    /// <summary>Starts a provider with <paramref name="clients"/> (default: <see cref="OidcClient.CiAgent"/> and <see cref="OidcClient.ReviewAgent"/>).</summary>
    /// <param name="clients">The client-credentials clients.</param>
    /// <param name="accessTokenLifetime">Access-token lifetime (default 5 minutes).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running provider.</returns>
    public static async Task<OidcProviderFixture> StartAsync(
        IReadOnlyList<OidcClient>? clients = null,
        TimeSpan? accessTokenLifetime = null,
        CancellationToken cancellationToken = default)
    {
        clients ??= [OidcClient.CiAgent, OidcClient.ReviewAgent];
        var config = new JsonObject
        {
            ["clients"] = new JsonArray(clients.Select(c => (JsonNode)new JsonObject
            {
                ["clientId"] = c.ClientId,
                ["clientSecret"] = c.ClientSecret,
                ["claims"] = JsonSerializer.SerializeToNode(c.Claims),
            }).ToArray()),
            ["accessTokenTtlSeconds"] = (int)(accessTokenLifetime ?? TimeSpan.FromMinutes(5)).TotalSeconds,
        };
        var fixturesDirectory = Path.Combine(RepositoryRoot.Path, "tests", "fixtures");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = fixturesDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["OIDC_FIXTURE_CONFIG"] = config.ToJsonString(), ["NODE_ENV"] = "test" },
        };
        start.ArgumentList.Add(Path.Combine(fixturesDirectory, "oidc", "provider.mjs"));

        var process = new Process { StartInfo = start };
        var fixture = new OidcProviderFixture(process, clients);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("oidc-provider exited before it was ready:\n" + fixture.Output));
                return;
            }

            fixture.Append(e.Data);
            if (e.Data.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data[ReadyPrefix.Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                fixture.Append(e.Data);
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            fixture.Issuer = await ready.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await fixture.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return fixture;
    }

    /// <summary>Gets an access token with the client-credentials grant, exactly as an agent would.</summary>
    /// <param name="clientId">One of <see cref="Clients"/>.</param>
    /// <param name="audience">The resource indicator, which becomes the token's <c>aud</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The JWT access token.</returns>
    public async Task<string> GetAccessTokenAsync(string clientId, string audience, CancellationToken cancellationToken = default)
    {
        var client = _clients[clientId];
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
            ["resource"] = audience,
        });
        using var response = await _http.PostAsync(new Uri(Issuer + "/token"), form, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Token request failed with {(int)response.StatusCode}: {body}");
        }

        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    /// <summary>
    /// Rotates the signing key: tokens are signed with a new key from now on, and the JWKS
    /// publishes it alongside the previous ones.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new key's id.</returns>
    public async Task<string> RotateKeysAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsync(new Uri(Issuer + "/__admin/rotate"), content: null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false);
        return body!["kid"]!.GetValue<string>();
    }

    /// <summary>
    /// Signs an arbitrary header and payload with the provider's current RS256 key, for tokens
    /// the provider would never issue itself (wrong claim types, future <c>nbf</c>, ...).
    /// <c>alg</c> and <c>kid</c> default to the current key's and can be overridden in <paramref name="header"/>.
    /// </summary>
    /// <param name="header">Extra or overriding header members.</param>
    /// <param name="payload">The whole payload.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The compact JWS.</returns>
    public Task<string> SignAsync(JsonObject header, JsonObject payload, CancellationToken cancellationToken = default) =>
        SignCoreAsync(new JsonObject { ["header"] = header.DeepClone(), ["payload"] = payload.DeepClone() }, cancellationToken);

    /// <summary>Like <see cref="SignAsync"/>, with the payload's JSON text used verbatim (e.g. with duplicate members).</summary>
    /// <param name="header">Extra or overriding header members.</param>
    /// <param name="payloadJson">The payload's exact JSON text.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The compact JWS.</returns>
    public Task<string> SignRawAsync(JsonObject header, string payloadJson, CancellationToken cancellationToken = default) =>
        SignCoreAsync(new JsonObject { ["header"] = header.DeepClone(), ["payloadJson"] = payloadJson }, cancellationToken);

    private async Task<string> SignCoreAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(Issuer + "/__admin/sign"), content, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The JWKS as currently published.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The JWKS document.</returns>
    public async Task<JsonObject> GetJwksAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<JsonObject>(JwksAddress, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }

        _process.Dispose();
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
