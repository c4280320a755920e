using Broker.Core.Targets;

namespace Broker.Core.Sessions;

/// <summary>Why a session could not be opened.</summary>
internal enum OpenFailureKind
{
    UnknownTarget,
    InvalidRequest,
    LimitReached,
    StartFailed,
}

/// <summary>An opened session, or why it was not opened.</summary>
internal sealed record OpenResult(Session? Session, OpenFailureKind Failure, string? Message, int ExitCode)
{
    public static OpenResult Opened(Session session) => new(session, default, null, 0);

    public static OpenResult Failed(OpenFailureKind kind, string message, int exitCode = 0) => new(null, kind, message, exitCode);
}

/// <summary>Who asks for a session and how its output is filtered.</summary>
internal sealed record OpenRequest
{
    /// <summary>The session id (see <see cref="SessionIds"/>); the caller chooses it so the recording can be opened first.</summary>
    public required string Id { get; init; }

    public ISessionJournal Journal { get; init; } = DiscardingJournal.Instance;

    public required SessionOwner Owner { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }

    public required string Target { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Creates the session's output filter (one for all its channels).</summary>
    public Func<IOutputFilter> CreateFilter { get; init; } = () => PassThroughFilter.Instance;

    /// <summary>Creates the filter the session's input goes through on its way to the recording.</summary>
    public Func<IInputFilter> CreateInputFilter { get; init; } = () => PassThroughInputFilter.Instance;

    /// <summary>The place taken with <see cref="SessionManager.Admit"/> before the session was prepared; null to be admitted when it opens.</summary>
    public SessionSlot? Slot { get; init; }
}

/// <summary>Opens sessions on targets, within the limits, and registers them.</summary>
internal sealed class SessionManager
{
    private readonly Dictionary<string, ITarget> _targets;
    private readonly TimeProvider _time;

    public SessionManager(IEnumerable<ITarget> targets, TimeProvider time, int endedSessionsRemembered = 1000)
    {
        _targets = targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _time = time;
        Registry = new SessionRegistry(endedSessionsRemembered);
    }

    public SessionRegistry Registry { get; }

    public bool HasTarget(string name) => _targets.ContainsKey(name);

    /// <summary>
    /// Takes a place for a session of <paramref name="owner"/> on <paramref name="target"/> under the target's
    /// per-identity cap (and checks a terminal's size), before anything is spent on the session; the failure when not.
    /// </summary>
    public (SessionSlot? Slot, OpenResult? Refusal) Admit(SessionOwner owner, string target, long columns = 0, long rows = 0)
    {
        if (!_targets.TryGetValue(target, out var definition))
        {
            return (null, OpenResult.Failed(OpenFailureKind.UnknownTarget, $"target '{target}' does not exist"));
        }

        if ((columns, rows) != (0, 0) && definition.Limits.CheckSize(columns, rows) is { } problem)
        {
            return (null, OpenResult.Failed(OpenFailureKind.InvalidRequest, problem));
        }

        if (Registry.TryAdmit(owner, definition.Limits.MaxSessionsPerIdentity) is { } refusal)
        {
            return (null, OpenResult.Failed(OpenFailureKind.LimitReached, refusal));
        }

        return (new SessionSlot(Registry, owner, target), null);
    }

    public ValueTask<OpenResult> OpenTerminalAsync(OpenRequest request, long columns, long rows, string term, Interactive.ShellIntegration? integration, CancellationToken cancellationToken)
    {
        if (_targets.TryGetValue(request.Target, out var target) && target.Limits.CheckSize(columns, rows) is { } problem)
        {
            return ValueTask.FromResult(OpenResult.Failed(OpenFailureKind.InvalidRequest, problem));
        }

        return OpenAsync(
            request,
            SessionKind.Interactive,
            (int)columns,
            (int)rows,
            (target, ct) => target.StartTerminalAsync(new TerminalStart((int)columns, (int)rows, term, request.Environment, integration, request.Owner), ct),
            cancellationToken);
    }

    public ValueTask<OpenResult> OpenCommandAsync(OpenRequest request, TargetCommand command, CancellationToken cancellationToken) =>
        OpenAsync(
            request,
            SessionKind.Exec,
            0,
            0,
            (target, ct) => target.StartCommandAsync(new CommandStart(command, request.Environment, request.Owner), ct),
            cancellationToken);

    private async ValueTask<OpenResult> OpenAsync(
        OpenRequest request,
        SessionKind kind,
        int columns,
        int rows,
        Func<ITarget, CancellationToken, ValueTask<TargetStartResult>> start,
        CancellationToken cancellationToken)
    {
        if (!_targets.TryGetValue(request.Target, out var target))
        {
            return OpenResult.Failed(OpenFailureKind.UnknownTarget, $"target '{request.Target}' does not exist");
        }

        var slot = request.Slot;
        if (slot is null)
        {
            if (Registry.TryAdmit(request.Owner, target.Limits.MaxSessionsPerIdentity) is { } refusal)
            {
                return OpenResult.Failed(OpenFailureKind.LimitReached, refusal);
            }

            slot = new SessionSlot(Registry, request.Owner, target.Name);
        }
        else if (slot.Owner != request.Owner || slot.Target != target.Name)
        {
            return OpenResult.Failed(OpenFailureKind.InvalidRequest, "the session's admission was taken for another identity or target");
        }

        TargetStartResult started;
        try
        {
            started = await start(target, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            slot.Release();
            throw;
        }

        if (started.Process is null)
        {
            slot.Release();
            return OpenResult.Failed(OpenFailureKind.StartFailed, started.Error ?? "the target could not start the program", started.ErrorExitCode);
        }

        var context = new SessionContext
        {
            Id = request.Id,
            Owner = request.Owner,
            Roles = request.Roles,
            Target = target.Name,
            Kind = kind,
            Limits = target.Limits,
            Time = _time,
            CreateFilter = request.CreateFilter,
            CreateInputFilter = request.CreateInputFilter,
            Journal = request.Journal,
        };
        var session = new Session(context, started.Process, columns, rows);
        slot.HandOver();
        Registry.Add(session);
        return OpenResult.Opened(session);
    }

}
