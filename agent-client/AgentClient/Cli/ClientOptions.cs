using System.CommandLine;

namespace AgentClient.Cli;

/// <summary>Options every command shares: where the broker is and which token to present.</summary>
internal sealed class ClientOptions
{
    public Option<string?> Broker { get; } = new("--broker") { Description = "Broker URL (default: $BROKER_URL or http://127.0.0.1:7443)", Recursive = true };

    public Option<string?> Token { get; } = new("--token") { Description = "Bearer token (default: $BROKER_TOKEN)", Recursive = true };

    public Option<FileInfo?> TokenFile { get; } = new("--token-file") { Description = "Read the bearer token from a file", Recursive = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Broker);
        command.Options.Add(Token);
        command.Options.Add(TokenFile);
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
        var url = parse.GetValue(Broker) ?? Environment.GetEnvironmentVariable("BROKER_URL") ?? "http://127.0.0.1:7443";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var broker) || (broker.Scheme != Uri.UriSchemeHttp && broker.Scheme != Uri.UriSchemeHttps))
        {
            return (null, null, $"'{url}' is not an http(s) URL");
        }

        var token = parse.GetValue(Token);
        if (token is null && parse.GetValue(TokenFile) is { } file)
        {
            if (!file.Exists)
            {
                return (null, null, $"token file '{file.FullName}' does not exist");
            }

            token = File.ReadAllText(file.FullName).Trim();
        }

        token ??= Environment.GetEnvironmentVariable("BROKER_TOKEN");
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, null, "no token: pass --token, --token-file or set BROKER_TOKEN");
        }

        return (broker, token.Trim(), null);
    }
}
