using System.Text;
using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Composition;
using Broker.Server.Logging;
using Broker.Server.Masking;
using Broker.Server.Recording;

namespace Broker.Server.Interactive;

/// <summary>
/// Decides each command typed in a line-mode session with the caller's roles (re-derived on every policy reload), and
/// records it. Commands are decided where the shell is: the target's start directory, then wherever the allowed
/// commands' <c>cd</c>s may have taken it. A line longer than the terminal's canonical limit is refused whole: the
/// terminal would cut it, and bash would run a shorter command than the one decided. A <c>review</c> decision holds
/// the line (<see cref="LineHold"/>) through the composer's review gate, as an exec is held.
/// </summary>
internal sealed partial class PolicyLineGate : ILineModeGate
{
    /// <summary>The longest line a Linux terminal in canonical mode delivers whole (N_TTY_BUF_SIZE less the newline).</summary>
    internal const int CanonicalLineLimit = 4095;

    /// <summary>The rule id of a line refused for its length.</summary>
    internal const string LineLimitRuleId = "(line-mode) line-limit";

    private readonly IAccessPolicy _access;
    private readonly SessionRoles _roles;
    private readonly RecordingJournal _journal;
    private readonly Action<ICommandDecision> _announce;
    private readonly string _subject;
    private readonly ILogger _logger;
    private readonly LineReview _review;
    private CommandContext _context;
    private LineHold? _hold;

    public PolicyLineGate(IAccessPolicy access, SessionRoles roles, CommandContext context, RecordingJournal journal, Action<ICommandDecision> announce, LineReview review, ILogger logger)
    {
        _access = access;
        _roles = roles;
        _context = context;
        _journal = journal;
        _announce = announce;
        _review = review;
        _subject = review.Caller.Subject;
        _logger = logger;
    }

    public LineVerdict Decide(string command)
    {
        var input = CommandInput.Script(command).In(_context);
        var decision = LongestLine(command) > CanonicalLineLimit
            ? Decision.Refused(
                LineLimitRuleId,
                $"a line of this command is longer than the terminal delivers whole ({CanonicalLineLimit} bytes); split it with backslash-newline or run it with exec --script")
            : _access.DecideLine(_roles.Current, input);
        LogDecision(_logger, new LoggedText(_subject), decision.VerdictName, new LoggedText(decision.RuleId ?? "-"));
        var handle = _journal.Command(CommandRecords.For(command, decision));
        _announce(new TypedCommandDecision(MaskedDecision.Of(decision, command, _journal.Masking)));
        if (decision.Verdict == Verdict.Allow)
        {
            _context = _access.ContextAfter(input);
            return new LineVerdict(true, null, handle, decision.Facts.SecretOutput);
        }

        if (decision.Verdict == Verdict.Review)
        {
            var request = new ReviewRequest(_review.Caller, _review.SessionId, _review.Target, command, decision, _access.Version, () => _access.DecideLine(_roles.Current, input));
            _hold = LineHold.Start(_review, request, _journal, handle, outcome => Decided(command, input, handle, outcome));
            return LineVerdict.Holding(handle);
        }

        return new LineVerdict(false, CommandRecords.Refusal(decision), handle);
    }

    public void Finished(long handle, int exitStatus) => _journal.CommandExit(handle, exitStatus);

    public void Withdraw(long handle)
    {
        if (_hold is { } hold && hold.Handle == handle)
        {
            hold.Withdraw();
        }
    }

    /// <summary>The held line's outcome: it runs under the approval's decision, or is refused with why.</summary>
    private LineVerdict Decided(string command, CommandInput input, long handle, ReviewOutcome outcome)
    {
        var decision = outcome switch
        {
            ReviewOutcome.Approved approved => approved.Decision,
            ReviewOutcome.Refused refused => refused.Decision,
            _ => Decision.Refused(Approvals.ApprovalReviewGate.RuleId, "the command is still held"),
        };
        LogDecision(_logger, new LoggedText(_subject), decision.VerdictName, new LoggedText(decision.RuleId ?? "-"));
        _announce(new TypedCommandDecision(MaskedDecision.Of(decision, command, _journal.Masking)));
        if (decision.Verdict != Verdict.Allow)
        {
            return new LineVerdict(false, CommandRecords.Refusal(decision), handle);
        }

        // No other line is decided while this one is held, so the shell's context moves on here.
        _context = _access.ContextAfter(input);
        return new LineVerdict(true, null, handle, decision.Facts.SecretOutput);
    }

    /// <summary>The UTF-8 length of the longest line of <paramref name="command"/>, as the terminal counts it.</summary>
    internal static int LongestLine(string command)
    {
        var longest = 0;
        foreach (var line in command.Split('\n'))
        {
            longest = Math.Max(longest, Encoding.UTF8.GetByteCount(line));
        }

        return longest;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Typed command by {Subject}: {Verdict} (rule {Rule})")]
    private static partial void LogDecision(ILogger logger, LoggedText subject, string verdict, LoggedText rule);
}

/// <summary>
/// What a line-mode session needs to hold lines for approval: the composer's review gate, who asks where, where the
/// outcome goes, and the session's end (which withdraws a line still held).
/// </summary>
internal sealed record LineReview(IReviewGate Gate, CallerIdentity Caller, string SessionId, string Target, ILineHoldSink Sink, Task SessionEnded);

/// <summary>A typed command and the policy's decision, masked, as the session's event log carries it.</summary>
internal sealed record TypedCommandDecision(MaskedDecision Masked) : ICommandDecision
{
    public string Command => Masked.Command;

    public bool Allowed => Masked.Decision.Verdict == Verdict.Allow;
}
