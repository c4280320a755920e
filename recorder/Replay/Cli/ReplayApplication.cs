using System.CommandLine;
using Broker.CommandLine;
using Broker.Protocol.Transport;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>The `replay` command line: builds the commands over a console and a list of recording source resolvers.</summary>
internal sealed class ReplayApplication(ReplayConsole console, IReadOnlyList<IRecordingSourceResolver> resolvers)
{
    /// <summary>Resolvers the tool ships with: files and directories.</summary>
    public static IReadOnlyList<IRecordingSourceResolver> DefaultResolvers { get; } = [new FileSystemSourceResolver()];

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var sources = new List<IRecordingSourceResolver>(resolvers);
        var loader = new RecordingLoader(console, sources);
        var broker = new Option<string?>("--broker") { Description = "Read session ids from this broker's RecordingService (http(s) URL); the token comes from --token or $BROKER_TOKEN.", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Bearer token for --broker (an observer or operator); defaults to $BROKER_TOKEN.", Recursive = true };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Read session ids from this broker data directory (through its recording index).", Recursive = true };
        var caFile = new Option<FileInfo?>("--ca-file") { Description = "For --broker over https: trust only these CA certificates (PEM); defaults to $BROKER_CA_FILE, else the system's CAs.", Recursive = true };
        var clientCertificate = new Option<FileInfo?>("--client-cert") { Description = "For --broker: present this client certificate (PEM) for mutual TLS; defaults to $BROKER_CLIENT_CERT.", Recursive = true };
        var clientKey = new Option<FileInfo?>("--client-key") { Description = "The client certificate's private key (PEM); defaults to $BROKER_CLIENT_KEY.", Recursive = true };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "For s3:// locations: an S3-compatible service's URL (path-style addressing); defaults to $BROKER_S3_ENDPOINT, else AWS S3. Credentials and region come from the AWS SDK's defaults.", Recursive = true };
        var publicKey = new Option<string?>("--public-key", "-k") { Description = $"The broker's recording public key (PEM file); defaults to ${PublicKeyOption.EnvironmentVariable}." };
        var verify = new VerifyCommand(console, loader);
        var root = new RootCommand("Replay, inspect, verify, search and export broker session recordings.")
        {
            new PlayCommand(console, loader).Build(),
            new InfoCommand(console, loader, verify).Build(publicKey),
            verify.Build(publicKey),
            new ExportCommand(console, loader).Build(),
            new CommandsCommand(console, loader).Build(),
            new SearchCommand(console, loader).Build(),
        };
        root.Options.Add(broker);
        root.Options.Add(token);
        root.Options.Add(data);
        root.Options.Add(caFile);
        root.Options.Add(clientCertificate);
        root.Options.Add(clientKey);
        root.Options.Add(s3Endpoint);

        // No response files: a recording may well be named @something.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (UsageErrors.Find(parse) is { } problem)
        {
            return console.Fail(ExitCodes.Usage, problem);
        }

        var endpoint = parse.GetValue(s3Endpoint) ?? console.Environment("BROKER_S3_ENDPOINT");
        if (endpoint is null)
        {
            sources.Add(new BucketSourceResolver(null));
        }
        else if (Uri.TryCreate(endpoint, UriKind.Absolute, out var endpointUri) && (endpointUri.Scheme == Uri.UriSchemeHttp || endpointUri.Scheme == Uri.UriSchemeHttps))
        {
            sources.Add(new BucketSourceResolver(endpointUri));
        }
        else
        {
            return console.Fail(ExitCodes.Usage, $"--s3-endpoint: '{endpoint}' is not an http(s) URL");
        }

        if (parse.GetValue(data) is { } directory)
        {
            var local = new DataDirectorySessionResolver(directory.FullName);
            sources.Add(local);
            console.DefaultPublicKey ??= local.PublicKeyPath;
        }

        var tls = new ClientTls(
            parse.GetValue(caFile)?.FullName ?? console.Environment("BROKER_CA_FILE"),
            parse.GetValue(clientCertificate)?.FullName ?? console.Environment("BROKER_CLIENT_CERT"),
            parse.GetValue(clientKey)?.FullName ?? console.Environment("BROKER_CLIENT_KEY"));
        using var remote = await ConnectAsync(parse.GetValue(broker), parse.GetValue(token) ?? console.Environment("BROKER_TOKEN"), tls, cancellationToken).ConfigureAwait(false);
        if (remote.Error is not null)
        {
            return console.Fail(ExitCodes.Usage, remote.Error);
        }

        if (remote.Resolver is not null)
        {
            sources.Add(remote.Resolver);
        }

        var help = new StreamWriter(console.Output, leaveOpen: true) { AutoFlush = true };
        await using (help.ConfigureAwait(false))
        {
            try
            {
                return await parse.InvokeAsync(new InvocationConfiguration { Output = help, Error = console.Error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                return console.Fail(ExitCodes.OutputFailed, e.Message);
            }
        }
    }

    /// <summary>The broker resolver for --broker, with the broker's key as the default public key.</summary>
    private async Task<RemoteBroker> ConnectAsync(string? url, string? token, ClientTls tls, CancellationToken cancellationToken)
    {
        if (url is null)
        {
            return new RemoteBroker(null, null);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            return new RemoteBroker(null, $"--broker: '{url}' is not an http(s) URL");
        }

        if (string.IsNullOrWhiteSpace(token))
        {
            return new RemoteBroker(null, "--broker needs a token: pass --token or set BROKER_TOKEN");
        }

        if (tls.IsCustom && address.Scheme != Uri.UriSchemeHttps)
        {
            return new RemoteBroker(null, $"--ca-file and --client-cert need an https:// broker URL, not '{url}'");
        }

        var (handler, problem) = tls.CreateHandler();
        if (problem is not null)
        {
            return new RemoteBroker(null, problem);
        }

        var resolver = new BrokerSessionResolver(address, token.Trim(), handler);
        if (console.DefaultPublicKey is null && console.Environment(PublicKeyOption.EnvironmentVariable) is null)
        {
            // Convenient, but it trusts the broker; an auditor pins the key with --public-key.
            var (pem, _) = await resolver.PublicKeyAsync(cancellationToken).ConfigureAwait(false);
            console.DefaultPublicKey = pem;
        }

        return new RemoteBroker(resolver, null);
    }

    private sealed record RemoteBroker(BrokerSessionResolver? Resolver, string? Error) : IDisposable
    {
        public void Dispose() => Resolver?.Dispose();
    }
}
