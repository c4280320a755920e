using System.Diagnostics;
using System.Net.Http;
using Broker.Harness.Machine;
using Broker.Harness.Terminals;
using Broker.Identity.Dev;
using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Broker.Harness.Systems;

/// <summary>
/// The broker under test, over gRPC (h2c) on one channel. Each terminal gets its own subject,
/// because the dev policy caps sessions per identity; tokens come from the dev issuer in the
/// broker's data directory, exactly as <c>broker token</c> mints them.
/// </summary>
internal sealed class BrokerSystem : ISystemUnderTest, IExecRunner, IDisposable
{
    private readonly Uri _address;
    private readonly string _agentClient;
    private readonly GrpcChannel _channel;
    private readonly SessionService.SessionServiceClient _client;
    private readonly DevIssuer _issuer;
    private readonly string _target;
    private readonly string[] _groups;
    private readonly string _execToken;
    private readonly string _subjectPrefix;
    private int _nextSubject;

    /// <param name="subjectPrefix">Names each terminal's subject (<c>PREFIX-N</c>): systems sharing one issuer use different ones.</param>
    public BrokerSystem(Uri address, string dataDirectory, string target, IReadOnlyList<string> groups, int processId, string agentClient, string subjectPrefix = "bench")
    {
        _subjectPrefix = subjectPrefix;
        _agentClient = agentClient;
        _groups = [.. groups];
        _address = address;
        _channel = NewChannel(address);
        _client = new SessionService.SessionServiceClient(_channel);
        _issuer = DevIssuer.LoadOrCreate(dataDirectory);
        _target = target;
        _execToken = Mint("bench-exec");
        Server = new ServerProcesses(processId, includeDescendants: false);
    }

    public string Name => "broker";

    public ServerProcesses Server { get; }

    private string Mint(string subject) => _issuer.Mint(subject, _groups, TimeSpan.FromHours(4));

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken)
    {
        var subject = $"{_subjectPrefix}-{Interlocked.Increment(ref _nextSubject)}";
        // Each terminal has a connection of its own, as each ssh session has: sessions sharing one
        // HTTP/2 connection would also share its flow-control window and its TCP stream, and a
        // streaming session would then delay every other session's frames.
        var channel = NewChannel(_address);
        BrokerTerminal terminal;
        try
        {
            terminal = await BrokerTerminal.OpenAsync(channel, Bearer(Mint(subject)), _target, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            channel.Dispose();
            throw;
        }

        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A session driven by <c>agent-client shell</c>, the broker's own client, in a process of its own.</summary>
    public async Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken)
    {
        var subject = $"{_subjectPrefix}-{Interlocked.Increment(ref _nextSubject)}";
        var start = new ProcessStartInfo(_agentClient)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("shell");
        start.ArgumentList.Add("--target");
        start.ArgumentList.Add(_target);
        start.Environment["BROKER_URL"] = _address.ToString();
        start.Environment["BROKER_TOKEN"] = Mint(subject);
        var terminal = ClientProcessTerminal.Start(start);
        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>agent-client exec --target T -- cat FILE</c>, a process of its own.</summary>
    public ProcessStartInfo ClientCat(string executable, string path)
    {
        var start = ClientExecTrue(executable);
        start.ArgumentList[^1] = "cat";
        start.ArgumentList.Add(path);
        return start;
    }

    /// <summary>
    /// <c>agent-client exec --target T -- true</c> with <paramref name="executable"/>, a process of its own, as an agent runs it:
    /// directly (no multiplexer, even if one runs), or handed to the master serving <paramref name="muxDirectory"/>.
    /// </summary>
    public ProcessStartInfo ClientExecTrue(string executable, string? muxDirectory = null)
    {
        var start = new ProcessStartInfo(executable) { ArgumentList = { "exec", "--target", _target, "--", "true" } };
        start.Environment["BROKER_URL"] = _address.ToString();
        start.Environment["BROKER_TOKEN"] = _execToken;
        if (muxDirectory is null)
        {
            start.Environment["AGENT_CLIENT_MUX"] = "no";
        }
        else
        {
            start.Environment["AGENT_CLIENT_MUX_DIR"] = muxDirectory;
        }

        return start;
    }

    /// <summary><c>agent-client mux start</c> for this broker in <paramref name="muxDirectory"/> (no token: each exec brings its own).</summary>
    public ProcessStartInfo MuxMaster(string executable, string muxDirectory)
    {
        var start = new ProcessStartInfo(executable) { ArgumentList = { "mux", "start", "--persist", "1h" }, RedirectStandardError = true };
        start.Environment["BROKER_URL"] = _address.ToString();
        start.Environment["AGENT_CLIENT_MUX_DIR"] = muxDirectory;
        start.Environment.Remove("BROKER_TOKEN");
        return start;
    }

    internal static GrpcChannel NewChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 16 * 1024 * 1024,
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
    });

    public async Task<string?> RunTrueAsync(CancellationToken cancellationToken)
    {
        using var call = _client.Exec(Bearer(_execToken), cancellationToken: cancellationToken);
        var start = new ExecStart { Target = _target, Argv = new Argv() };
        start.Argv.Args.Add("true");
        await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.WriteAsync(new ExecRequest { EndOfInput = new EndOfInput() }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        ExitStatus? exit = null;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            if (call.ResponseStream.Current.FrameCase == ExecResponse.FrameOneofCase.Exit)
            {
                // As agent-client does: the exit status ends the round trip; the trailers follow once the broker
                // has given the session's account back.
                exit = call.ResponseStream.Current.Exit;
                break;
            }
        }

        return exit is { Code: 0 } ? null : $"exec ended with {exit?.ToString() ?? "no exit status"}";
    }

    public void Dispose() => _channel.Dispose();
}
