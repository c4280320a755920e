using Broker.Core.Targets;

namespace Broker.Core.Sessions;

/// <summary>Why a session could not be opened.</summary>
public enum OpenFailureKind
{
    /// <summary>No target has the name asked for.</summary>
    UnknownTarget,
    /// <summary>The request is not valid for the target (a terminal size out of bounds, a slot taken for another).</summary>
    InvalidRequest,
    /// <summary>The identity has as many sessions on the target as it may.</summary>
    LimitReached,
    /// <summary>The target could not start the program.</summary>
    StartFailed,
}

/// <summary>An opened session, or why it was not opened.</summary>
public sealed record OpenResult(Session? Session, OpenFailureKind Failure, string? Message, int ExitCode)
{
    /// <summary>A session that opened.</summary>
    /// <param name="session">The running session.</param>
    /// <returns>The result.</returns>
    public static OpenResult Opened(Session session) => new(session, default, null, 0);

    /// <summary>A session that did not open.</summary>
    /// <param name="kind">Why.</param>
    /// <param name="message">The reason, for the caller.</param>
    /// <param name="exitCode">The exit code a failed start reports (126, 127), or 0.</param>
    /// <returns>The result.</returns>
    public static OpenResult Failed(OpenFailureKind kind, string message, int exitCode = 0) => new(null, kind, message, exitCode);
}

/// <summary>Who asks for a session and how its output is filtered.</summary>
public sealed record OpenRequest
{
    /// <summary>The session id (see <see cref="SessionIds"/>); the caller chooses it so the recording can be opened first.</summary>
    public required string Id { get; init; }

    /// <summary>Where the session's events are recorded; by default nowhere.</summary>
    public ISessionJournal Journal { get; init; } = DiscardingJournal.Instance;

    /// <summary>The identity the session belongs to.</summary>
    public required SessionOwner Owner { get; init; }

    /// <summary>The roles the session is opened under.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>The target to open it on.</summary>
    public required string Target { get; init; }

    /// <summary>Environment variables the program gets beside the target's own.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Creates the session's output filter (one for all its channels).</summary>
    public Func<IOutputFilter> CreateFilter { get; init; } = () => PassThroughFilter.Instance;

    /// <summary>Creates the filter the session's input goes through on its way to the recording.</summary>
    public Func<IInputFilter> CreateInputFilter { get; init; } = () => PassThroughInputFilter.Instance;

    /// <summary>
    /// A notice the session posts as its first event, before any of its output (which mode a terminal is in): posted
    /// once the session is open, it would race the program's first output.
    /// </summary>
    public string? OpeningNotice { get; init; }

    /// <summary>The place taken with <see cref="SessionManager.Admit"/> before the session was prepared; null to be admitted when it opens.</summary>
    public SessionSlot? Slot { get; init; }
}

/// <summary>Opens sessions on targets, within the limits, and registers them.</summary>
public sealed class SessionManager : IDisposable
{
    private readonly Dictionary<string, ITarget> _targets;
    private readonly TimeProvider _time;
    // One for every session opened here: their hold delays cost one timer firing per tick between them, not one each.
    private readonly HoldClock _holds;

    /// <summary>Sessions on <paramref name="targets"/>.</summary>
    /// <param name="targets">The targets, by their unique names.</param>
    /// <param name="time">The sessions' clock (idle and lifetime limits, start and end times).</param>
    /// <param name="endedSessionsRemembered">How many ended sessions are kept for listing.</param>
    public SessionManager(IEnumerable<ITarget> targets, TimeProvider time, int endedSessionsRemembered = 1000)
    {
        _targets = targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _time = time;
        _holds = new HoldClock(time);
        Registry = new SessionRegistry(endedSessionsRemembered);
    }

    /// <summary>The sessions opened here, running and recently ended.</summary>
    public SessionRegistry Registry { get; }

    /// <summary>Stops the clock of the sessions' hold delays (the broker is shutting down): held bytes are no longer flushed by time.</summary>
    public void Dispose() => _holds.Dispose();

    /// <summary>Whether a target is named <paramref name="name"/>.</summary>
    /// <param name="name">The target's name.</param>
    /// <returns>True when it exists.</returns>
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

    /// <summary>Opens a terminal session: the target's shell on a PTY of the given size.</summary>
    /// <param name="request">Who asks, where, and how output is filtered and recorded.</param>
    /// <param name="columns">The terminal's width.</param>
    /// <param name="rows">The terminal's height.</param>
    /// <param name="term">The value of <c>TERM</c>.</param>
    /// <param name="integration">The shell integration of line mode, or null for a raw terminal.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running session, or why it did not open.</returns>
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

    /// <summary>Opens a command session: one program on pipes.</summary>
    /// <param name="request">Who asks, where, and how output is filtered and recorded.</param>
    /// <param name="command">The program and its arguments, or a script for the target's shell.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running session, or why it did not open.</returns>
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
            Holds = _holds,
            CreateFilter = request.CreateFilter,
            CreateInputFilter = request.CreateInputFilter,
            OpeningNotice = request.OpeningNotice,
            Journal = request.Journal,
        };
        foreach (var note in started.SetupNotes)
        {
            // Before the session exists, so the setup precedes the output in the recording.
            request.Journal.Notice(NoticeKind.Setup, note);
        }

        var session = new Session(context, started.Process, columns, rows);
        slot.HandOver();
        Registry.Add(session);
        return OpenResult.Opened(session);
    }

}
