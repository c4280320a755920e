using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Masking;
using Broker.Server.Recording;

namespace Broker.Server.Interactive;

/// <summary>Decides each command typed in a line-mode session with the caller's roles, and records it.</summary>
internal sealed partial class PolicyLineGate : ILineModeGate
{
    private readonly IAccessPolicy _access;
    private readonly IReadOnlyList<string> _roles;
    private readonly RecordingJournal _journal;
    private readonly Action<ICommandDecision> _announce;
    private readonly string _subject;
    private readonly ILogger _logger;

    public PolicyLineGate(IAccessPolicy access, IReadOnlyList<string> roles, RecordingJournal journal, Action<ICommandDecision> announce, string subject, ILogger logger)
    {
        _access = access;
        _roles = roles;
        _journal = journal;
        _announce = announce;
        _subject = subject;
        _logger = logger;
    }

    public LineVerdict Decide(string command)
    {
        var decision = ShellStateGuard.Apply(_access.Decide(_roles, CommandInput.Script(command)));
        LogDecision(_logger, _subject, decision.VerdictName, decision.RuleId ?? "-");
        var handle = _journal.Command(CommandRecords.For(command, decision));
        _announce(new TypedCommandDecision(MaskedDecision.Of(decision, command, _journal.Masking)));
        if (decision.Verdict == Verdict.Allow)
        {
            return new LineVerdict(true, null, handle);
        }

        return new LineVerdict(false, CommandRecords.Refusal(decision), handle);
    }

    public void Finished(long handle, int exitStatus) => _journal.CommandExit(handle, exitStatus);

    [LoggerMessage(Level = LogLevel.Information, Message = "Typed command by {Subject}: {Verdict} (rule {Rule})")]
    private static partial void LogDecision(ILogger logger, string subject, string verdict, string rule);
}

/// <summary>A typed command and the policy's decision, masked, as the session's event log carries it.</summary>
internal sealed record TypedCommandDecision(MaskedDecision Masked) : ICommandDecision
{
    public string Command => Masked.Command;

    public bool Allowed => Masked.Decision.Verdict == Verdict.Allow;
}
