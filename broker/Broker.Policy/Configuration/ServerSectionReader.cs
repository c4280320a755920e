using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>
/// Reads the policy file's <c>server</c> section. Paths are taken relative to the policy file; the TLS
/// files are loaded here once, so that a certificate that does not match its key, or an empty CA file,
/// is reported with its line before the broker starts.
/// </summary>
internal sealed class ServerSectionReader(YamlReader reader, string fileName)
{
    private readonly string _directory = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? "/";

    public ServerDefinition Read(YamlNode node)
    {
        var server = new ServerDefinition();
        var fields = reader.Mapping(node, "server", "urls", "allow_plaintext", "tls", "limits", "recording", "approvals", "store", "replica", "mcp");
        if (fields is null)
        {
            return server;
        }

        if (fields.TryGetValue("urls", out var urlsNode))
        {
            var urls = reader.StringList(urlsNode, "server urls");
            foreach (var url in urls.Where(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                reader.Error(urlsNode, $"server url '{url}' must be an absolute http:// or https:// URL");
            }

            server = server with { Urls = urls };
        }

        if (fields.TryGetValue("allow_plaintext", out var plaintextNode) && reader.Boolean(plaintextNode, "server allow_plaintext") is { } plaintext)
        {
            server = server with { AllowPlaintext = plaintext };
        }

        if (fields.TryGetValue("tls", out var tlsNode))
        {
            server = server with { Tls = ReadTls(tlsNode) };
        }

        if (fields.TryGetValue("limits", out var limitsNode))
        {
            server = server with { Limits = ReadLimits(limitsNode) };
        }

        if (fields.TryGetValue("recording", out var recordingNode))
        {
            server = server with { Recording = ReadRecording(recordingNode) };
        }

        if (fields.TryGetValue("approvals", out var approvalsNode))
        {
            server = server with { Approvals = ReadApprovals(approvalsNode) };
        }

        if (fields.TryGetValue("mcp", out var mcpNode))
        {
            server = server with { Mcp = new McpSectionReader(reader, this).Read(mcpNode) };
        }

        var store = new StoreSectionReader(reader, _directory);
        if (fields.TryGetValue("store", out var storeNode))
        {
            server = server with { Store = store.ReadStore(storeNode) };
        }

        if (fields.TryGetValue("replica", out var replicaNode))
        {
            server = server with { Replica = store.ReadReplica(replicaNode) };
            if (server.Store.Postgres is null)
            {
                reader.Error(replicaNode, "server replica needs server store postgres: replicas share their state there");
            }
        }

        return server;
    }

    private ServerApprovalsDefinition ReadApprovals(YamlNode node)
    {
        var approvals = new ServerApprovalsDefinition();
        var fields = reader.Mapping(node, "server approvals", "webhooks");
        if (fields is not null && fields.TryGetValue("webhooks", out var webhooksNode))
        {
            approvals = approvals with { Webhooks = new WebhookReader(reader, fileName).ReadList(webhooksNode, "server approvals webhooks") };
        }

        return approvals;
    }

    /// <summary>A size such as <c>1GiB</c> between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public long? Size(YamlNode node, string what, long min, long max)
    {
        var text = node is YamlScalarNode { Value: { } value } ? value : reader.String(node, what);
        if (text is null)
        {
            return null;
        }

        if (!ByteSize.TryParse(text, out var bytes))
        {
            reader.Error(node, $"{what} '{text}' is not a size (use e.g. 512MiB, 1GiB, or a number of bytes)");
            return null;
        }

        if (bytes < min || bytes > max)
        {
            reader.Error(node, $"{what} must be between {ByteSize.Format(min)} and {ByteSize.Format(max)}");
            return null;
        }

        return bytes;
    }

    private TlsDefinition? ReadTls(YamlNode node)
    {
        var fields = reader.Mapping(node, "server tls", "certificate", "key", "client_ca", "require_client_certificate", "reload_interval");
        if (fields is null)
        {
            return null;
        }

        var certificate = ExistingFile(fields, node, "certificate", required: true);
        var key = ExistingFile(fields, node, "key", required: true);
        var clientCa = ExistingFile(fields, node, "client_ca", required: false);
        var require = fields.TryGetValue("require_client_certificate", out var requireNode) && reader.Boolean(requireNode, "server tls require_client_certificate") == true;
        if (require && clientCa is null && !fields.ContainsKey("client_ca"))
        {
            reader.Error(requireNode!, "require_client_certificate needs client_ca: the CA that signs the clients' certificates");
        }

        if (certificate is not null && key is not null)
        {
            CheckPair(fields["certificate"], certificate, key);
        }

        if (clientCa is not null)
        {
            CheckCa(fields["client_ca"], clientCa);
        }

        var tls = certificate is null || key is null ? null : new TlsDefinition { Certificate = certificate, Key = key, ClientCa = clientCa, RequireClientCertificate = require };
        if (tls is not null && fields.TryGetValue("reload_interval", out var intervalNode)
            && reader.Duration(intervalNode, "server tls reload_interval", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) is { } interval)
        {
            tls = tls with { ReloadInterval = interval };
        }

        return tls;
    }

    private ConnectionLimitsDefinition ReadLimits(YamlNode node)
    {
        var limits = new ConnectionLimitsDefinition();
        var fields = reader.Mapping(
            node,
            "server limits",
            "max_connections",
            "descriptor_reserve",
            "max_unauthenticated_connections",
            "unauthenticated_timeout",
            "max_streams_per_connection",
            "request_headers_timeout");
        if (fields is null)
        {
            return limits;
        }

        if (fields.TryGetValue("max_connections", out var maxNode) && reader.Integer(maxNode, "max_connections", 1, 10_000_000) is { } max)
        {
            limits = limits with { MaxConnections = max };
        }

        if (fields.TryGetValue("descriptor_reserve", out var reserveNode) && reader.Integer(reserveNode, "descriptor_reserve", 16, 10_000_000) is { } reserve)
        {
            limits = limits with { DescriptorReserve = reserve };
        }

        if (fields.TryGetValue("max_unauthenticated_connections", out var unauthenticatedNode)
            && reader.Integer(unauthenticatedNode, "max_unauthenticated_connections", 1, 10_000_000) is { } unauthenticated)
        {
            limits = limits with { MaxUnauthenticatedConnections = unauthenticated };
        }

        if (fields.TryGetValue("unauthenticated_timeout", out var timeoutNode)
            && reader.Duration(timeoutNode, "unauthenticated_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)) is { } timeout)
        {
            limits = limits with { UnauthenticatedTimeout = timeout };
        }

        if (fields.TryGetValue("max_streams_per_connection", out var streamsNode) && reader.Integer(streamsNode, "max_streams_per_connection", 1, 10_000) is { } streams)
        {
            limits = limits with { MaxStreamsPerConnection = streams };
        }

        if (fields.TryGetValue("request_headers_timeout", out var headersNode)
            && reader.Duration(headersNode, "request_headers_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)) is { } headers)
        {
            limits = limits with { RequestHeadersTimeout = headers };
        }

        return limits;
    }

    private RecordingStorageDefinition ReadRecording(YamlNode node)
    {
        var recording = new RecordingStorageDefinition();
        var fields = reader.Mapping(node, "server recording", "signing_key", "min_free_space", "stall_timeout", "object_store");
        if (fields is null)
        {
            return recording;
        }

        if (fields.TryGetValue("signing_key", out var keyNode) && reader.String(keyNode, "server recording signing_key") is { Length: > 0 } key)
        {
            var path = Path.GetFullPath(key, _directory);
            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                reader.Error(keyNode, $"signing_key '{path}': its directory does not exist");
            }

            recording = recording with { SigningKey = path };
        }

        if (fields.TryGetValue("min_free_space", out var floorNode) && Size(floorNode, "min_free_space", 0, long.MaxValue) is { } floor)
        {
            recording = recording with { MinFreeBytes = floor };
        }

        if (fields.TryGetValue("stall_timeout", out var stallNode)
            && reader.Duration(stallNode, "stall_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)) is { } stall)
        {
            recording = recording with { StallTimeout = stall };
        }

        if (fields.TryGetValue("object_store", out var storeNode))
        {
            recording = recording with { ObjectStore = new ObjectStoreSectionReader(reader, fileName).Read(storeNode) };
        }

        return recording;
    }

    private string? ExistingFile(Dictionary<string, YamlNode> fields, YamlNode owner, string key, bool required)
    {
        if (!fields.TryGetValue(key, out var node))
        {
            if (required)
            {
                reader.Error(owner, $"server tls needs '{key}'");
            }

            return null;
        }

        if (reader.String(node, $"server tls {key}") is not { Length: > 0 } value)
        {
            return null;
        }

        var path = Path.GetFullPath(value, _directory);
        if (!File.Exists(path))
        {
            reader.Error(node, $"server tls {key} '{path}' does not exist");
            return null;
        }

        return path;
    }

    private void CheckPair(YamlNode node, string certificate, string key)
    {
        try
        {
            using var pair = X509Certificate2.CreateFromPemFile(certificate, key);
            if (!pair.HasPrivateKey)
            {
                reader.Error(node, $"server tls key '{key}' is not the private key of '{certificate}'");
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            reader.Error(node, $"server tls certificate '{certificate}' with key '{key}' cannot be used: {e.Message}");
        }
    }

    private void CheckCa(YamlNode node, string path)
    {
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(path);
            foreach (var authority in authorities)
            {
                authority.Dispose();
            }

            if (authorities.Count == 0)
            {
                reader.Error(node, $"server tls client_ca '{path}' holds no certificate");
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            reader.Error(node, $"server tls client_ca '{path}' cannot be read: {e.Message}");
        }
    }
}
