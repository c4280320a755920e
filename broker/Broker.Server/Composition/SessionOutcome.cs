using Broker.Core.Sessions;
using Broker.Server.Access;
using Broker.Server.Interactive;
using Broker.Server.Masking;

namespace Broker.Server.Composition;

/// <summary>What the <see cref="SessionComposer"/> made of a request: a running session or why there is none.</summary>
internal abstract record SessionOutcome
{
    /// <summary>An exec's decision as the client is shown it (masked); null for shells and for refusals made before deciding.</summary>
    public MaskedDecision? Decision { get; init; }

    /// <summary>The session's id when it was recorded (opened, or refused or held after its recording began); null otherwise.</summary>
    public string? SessionId { get; init; }

    /// <summary>The session runs.</summary>
    public sealed record Opened(OpenedSession Session) : SessionOutcome;

    /// <summary>No session: the request was refused before anything ran (the recording, if one was begun, says why).</summary>
    public sealed record Refused(SessionRefusal Refusal) : SessionOutcome;

    /// <summary>An exec whose command the policy (or a review) did not let run; <paramref name="Message"/> is the masked refusal for stderr, and the exit code is 126.</summary>
    public sealed record CommandRefused(string Message) : SessionOutcome;

    /// <summary>Return mode: the command waits for approval and did not run; the client was told (<see cref="SessionRequest.Exec.OnHeld"/>) and the call ends with 75.</summary>
    public sealed record Held(HeldCommand Command) : SessionOutcome
    {
        /// <summary>The client waited, but its token expired before the command could run (see <see cref="ReviewRequest.CallerExpiresAt"/>).</summary>
        public bool CallerTokenExpired { get; init; }
    }

    /// <summary>The target could not start the command: it fails as it would in a shell, with a message and 126 or 127.</summary>
    public sealed record StartFailed(string Message, int ExitCode) : SessionOutcome;
}

/// <summary>A session the composer opened, with the parts its front end feeds input through.</summary>
/// <param name="Session">The running session; its events are everything the client sees.</param>
/// <param name="Roles">The session's current roles (replaced when a policy reload changes them).</param>
/// <param name="Line">A line-mode shell's editor: typed input goes through it, never straight to the shell.</param>
/// <param name="Auditor">A raw terminal's auditor: it sees the keys before they are written.</param>
/// <param name="Interaction">Line mode's run (completed for exec and raw terminals): the front end awaits it before it returns.</param>
internal sealed record OpenedSession(Session Session, SessionRoles Roles, LineModeSession? Line, RawCommandAuditor? Auditor, Task Interaction);
