using System.CommandLine;
using AgentClient.Connection;
using AgentClient.Mux;
using Broker.Protocol.Transport;

namespace AgentClient.Cli;

/// <summary>Options every command shares: where the broker is and which token to present.</summary>
internal sealed class ClientOptions
{
    public Option<string?> Broker { get; } = new("--broker") { Description = "Broker URL (default: $BROKER_URL or http://127.0.0.1:7443)", Recursive = true };

    public Option<string?> Token { get; } = new("--token") { Description = "Bearer token (default: $BROKER_TOKEN)", Recursive = true };

    public Option<FileInfo?> TokenFile { get; } = new("--token-file") { Description = "Read the bearer token from a file", Recursive = true };

    public Option<FileInfo?> CaFile { get; } = new("--ca-file") { Description = "Trust only these CA certificates (PEM) for the broker's TLS certificate (default: $BROKER_CA_FILE, else the system's CAs)", Recursive = true };

    public Option<FileInfo?> ClientCertificate { get; } = new("--client-cert") { Description = "Present this client certificate (PEM) for mutual TLS (default: $BROKER_CLIENT_CERT)", Recursive = true };

    public Option<FileInfo?> ClientKey { get; } = new("--client-key") { Description = "The client certificate's private key (PEM) (default: $BROKER_CLIENT_KEY)", Recursive = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Broker);
        command.Options.Add(Token);
        command.Options.Add(TokenFile);
        command.Options.Add(CaFile);
        command.Options.Add(ClientCertificate);
        command.Options.Add(ClientKey);
    }

    /// <summary>
    /// Where a fresh token comes from when the broker says the current one is expiring: the token
    /// file again (whatever refreshes it, a CI step or a sidecar, keeps working), else nothing.
    /// </summary>
    public Func<string?> Renewal(ParseResult parse)
    {
        if (parse.GetValue(Token) is not null || parse.GetValue(TokenFile) is not { } file)
        {
            return static () => null;
        }

        return () =>
        {
            try
            {
                var token = File.ReadAllText(file.FullName).Trim();
                return token.Length > 0 ? token : null;
            }
            catch (IOException)
            {
                return null;
            }
        };
    }

    /// <summary>Resolves the broker address and token, or explains what is missing.</summary>
    public (Uri? Broker, string? Token, string? Problem) Resolve(ParseResult parse)
    {
        var url = parse.GetValue(Broker) ?? RequestScope.Variable("BROKER_URL") ?? "http://127.0.0.1:7443";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var broker) || (broker.Scheme != Uri.UriSchemeHttp && broker.Scheme != Uri.UriSchemeHttps))
        {
            return (null, null, $"'{url}' is not an http(s) URL");
        }

        var tls = new ClientTls(
            parse.GetValue(CaFile)?.FullName ?? RequestScope.Variable("BROKER_CA_FILE"),
            parse.GetValue(ClientCertificate)?.FullName ?? RequestScope.Variable("BROKER_CLIENT_CERT"),
            parse.GetValue(ClientKey)?.FullName ?? RequestScope.Variable("BROKER_CLIENT_KEY"));
        var (handler, problem) = tls.CreateHandler();
        handler?.Dispose();
        if (problem is not null)
        {
            return (null, null, problem);
        }

        if (tls.IsCustom && broker.Scheme != Uri.UriSchemeHttps)
        {
            return (null, null, $"--ca-file and --client-cert need an https:// broker URL, not '{url}'");
        }

        BrokerConnection.Tls = tls;

        var token = parse.GetValue(Token);
        if (token is null && parse.GetValue(TokenFile) is { } file)
        {
            if (!file.Exists)
            {
                return (null, null, $"token file '{file.FullName}' does not exist");
            }

            token = File.ReadAllText(file.FullName).Trim();
        }

        token ??= RequestScope.Variable("BROKER_TOKEN");
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, null, "no token: pass --token, --token-file or set BROKER_TOKEN");
        }

        return (broker, token.Trim(), null);
    }
}
