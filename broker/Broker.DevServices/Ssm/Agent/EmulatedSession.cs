using System.Net.WebSockets;
using System.Security.Cryptography;
using Broker.DevServices.Ssm.Api;
using Broker.DevServices.Ssm.Faults;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>Where an emulated session is in its life.</summary>
public enum EmulatedSessionState
{
    /// <summary>Started through the API; no client has connected yet.</summary>
    Waiting,

    /// <summary>Agent and service side are running.</summary>
    Running,

    /// <summary>Over: the program exited or the session was terminated.</summary>
    Ended,
}

/// <summary>
/// One Session Manager session as the service and the agent run it: the data channel's agent
/// rules (acknowledge every valid input, duplicates too; buffer input that arrives early; resend
/// the oldest unacknowledged frame when its RTO passes; SYN on output 0; acknowledge nothing before
/// the program exists), the handshake, a real program on this machine (a shell on a PTY, or a
/// command), and the service's channel_closed at the end. A client connection may drop and come
/// back (after ResumeSession) without the agent losing anything. Faults are injected per session.
/// </summary>
public sealed partial class EmulatedSession : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly SsmEmulatorOptions _options;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _tokens = [];
    private readonly ITimer _resendTimer;
    private readonly int _number;
    private AgentConnection? _connection;
    private FaultSettings _faults;
    private Random _random;
    private int? _cutCountdown;
    private int _connections;
    private Task _agent = Task.CompletedTask;

    internal EmulatedSession(
        string sessionId,
        EmulatedInstance instance,
        SessionDocument document,
        IReadOnlyDictionary<string, IReadOnlyList<string>> parameters,
        string startedBy,
        string homeDirectory,
        int number,
        SsmEmulatorOptions options)
    {
        SessionId = sessionId;
        Instance = instance;
        Document = document;
        Parameters = parameters;
        StartedBy = startedBy;
        HomeDirectory = homeDirectory;
        _number = number;
        _options = options;
        _faults = options.DefaultFaults;
        _random = new Random(_faults.Seed + number);
        _cutCountdown = _faults.CutAfterFrames;
        ResumeTimesOut = options.ResumeTimesOut;
        IssueToken();
        _resendTimer = TimeProvider.System.CreateTimer(_ => OnResendTick(), null, options.ResendInterval, options.ResendInterval);
    }

    /// <summary>The session id.</summary>
    public string SessionId { get; }

    /// <summary>Whether ResumeSession answers with an empty token, as for a session that timed out.</summary>
    public bool ResumeTimesOut { get; set; }

    /// <summary>The session's number in the emulator (1, 2, …).</summary>
    internal int Number => _number;

    /// <summary>The instance it runs on.</summary>
    public EmulatedInstance Instance { get; }

    /// <summary>The Session document.</summary>
    public SessionDocument Document { get; }

    /// <summary>The document parameters StartSession passed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Parameters { get; }

    /// <summary>The access key that signed StartSession.</summary>
    public string StartedBy { get; }

    /// <summary>The program's home directory (unique to the session).</summary>
    public string HomeDirectory { get; }

    /// <summary>Where the session is in its life.</summary>
    public EmulatedSessionState State { get; private set; } = EmulatedSessionState.Waiting;

    /// <summary>Completes when the session has ended and channel_closed has been sent.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Whether TerminateSession ended it.</summary>
    public bool TerminatedByApi { get; private set; }

    /// <summary>Why it ended, when not because its program exited (channel_closed's Output).</summary>
    public string? CloseReason { get; private set; }

    /// <summary>How many client WebSockets attached (1 + resumes).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The faults this session injects; set to change them mid-session.</summary>
    public FaultSettings Faults
    {
        get
        {
            lock (_gate)
            {
                return _faults;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                _faults = value;
                _random = new Random(value.Seed + _number);
                _cutCountdown = value.CutAfterFrames;
            }
        }
    }

    /// <summary>The token the next open frame must carry.</summary>
    internal string CurrentToken
    {
        get
        {
            lock (_gate)
            {
                return _tokens[^1];
            }
        }
    }

    /// <summary>Issues a new data-channel token (StartSession, ResumeSession); only the newest is accepted.</summary>
    internal string IssueToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        lock (_gate)
        {
            _tokens.Add(token);
        }

        return token;
    }

    /// <summary>Cuts the client's WebSocket now (no close handshake); the agent side keeps running.</summary>
    public void Cut()
    {
        AgentConnection? connection;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
        }

        connection?.Abort();
    }

    /// <summary>
    /// Sends pause_publication, as the service does when the agent side is unreachable, holds the
    /// agent's output (sent and resent) for <paramref name="duration"/>, then sends start_publication.
    /// </summary>
    public void PausePublication(TimeSpan duration)
    {
        SendControl(Broker.Ssm.Protocol.MessageTypes.PausePublication);
        lock (_gate)
        {
            _paused = true;
        }

        _ = Task.Delay(duration).ContinueWith(
            _ =>
            {
                lock (_gate)
                {
                    _paused = false;
                }

                SendControl(Broker.Ssm.Protocol.MessageTypes.StartPublication);
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>Serves one client WebSocket (the first, or one after ResumeSession) until it drops.</summary>
    internal async Task AttachAsync(WebSocket socket)
    {
        var connection = new AgentConnection(socket);
        AgentConnection? previous;
        bool first;
        lock (_gate)
        {
            if (State == EmulatedSessionState.Ended)
            {
                socket.Abort();
                return;
            }

            previous = _connection;
            _connection = connection;
            first = State == EmulatedSessionState.Waiting;
            State = EmulatedSessionState.Running;
            _connections++;
        }

        previous?.Abort();
        if (first)
        {
            _agent = Task.Run(RunAgentAsync);
        }
        else
        {
            ResendAfterReconnect();
        }

        await connection.RunAsync(HandleFrameAsync).ConfigureAwait(false);
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
            }
        }

        connection.Dispose();
    }

    /// <summary>TerminateSession: the program is killed and the client told the channel is closed.</summary>
    internal async Task TerminateAsync()
    {
        lock (_gate)
        {
            if (State == EmulatedSessionState.Ended)
            {
                return;
            }

            TerminatedByApi = true;
        }

        KillProgram();
        await FinishAsync("Session terminated", flush: false).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        KillProgram();
        await FinishAsync("the emulator is stopping", flush: false).ConfigureAwait(false);
        await _agent.ConfigureAwait(false);
        await _resendTimer.DisposeAsync().ConfigureAwait(false);
    }
}
