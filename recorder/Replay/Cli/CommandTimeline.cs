using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>
/// Lays out `replay commands` as events stream past: each command with its decision, exit code, rule
/// and reason, then its approval steps. A command waits for its exit code and approvals, which come
/// after it; the waiting commands are bounded in number and size, and past the budget the oldest is
/// printed with what is known so far (anything about it that comes later gets a line of its own).
/// </summary>
internal sealed class CommandTimeline(Action<string> writeLine)
{
    /// <summary>Commands held back waiting for their exit code and approvals.</summary>
    public const int MaxPendingCommands = 256;

    /// <summary>Characters of text held back in waiting commands.</summary>
    public const long MaxPendingCharacters = 4L * 1024 * 1024;

    /// <summary>Approval steps kept with one waiting command; later ones get lines of their own.</summary>
    public const int MaxApprovalsPerCommand = 16;

    private readonly Queue<Pending> _pending = new();
    private readonly Dictionary<long, Pending> _byNumber = [];
    private long _pendingCharacters;
    private ExitEvent? _sessionExit;

    public void Add(RecordedEvent recorded)
    {
        switch (recorded)
        {
            case CommandEvent command:
                Hold(command);
                break;
            case CommandExitEvent exit when _byNumber.TryGetValue(exit.CommandNumber, out var pending):
                pending.ExitCode = exit.ExitCode;
                break;
            case CommandExitEvent exit:
                writeLine($"      {TerminalText.FormatOffset(exit.OffsetNanoseconds)}  #{exit.CommandNumber} exited with {exit.ExitCode}");
                break;
            case ApprovalEvent approval when _byNumber.TryGetValue(approval.Approval.CommandNumber, out var pending) && pending.Approvals.Count < MaxApprovalsPerCommand:
                pending.Approvals.Add(approval);
                _pendingCharacters += Size(approval.Approval);
                Trim();
                break;
            case ApprovalEvent approval:
                WriteApproval(approval);
                break;
            case ExitEvent exit:
                _sessionExit = exit;
                break;
        }
    }

    /// <summary>Prints every command still waiting, then the session's exit.</summary>
    public void Complete()
    {
        while (_pending.Count > 0)
        {
            Release();
        }

        if (_sessionExit is { } exit)
        {
            writeLine($"      {TerminalText.FormatOffset(exit.OffsetNanoseconds)}  session exit {exit.Code}: {UntrustedText.Neutralize(exit.Reason)}");
        }
    }

    private void Hold(CommandEvent command)
    {
        var pending = new Pending(command);
        _pending.Enqueue(pending);
        _byNumber[command.Command.Number] = pending;
        _pendingCharacters += pending.Characters;
        Trim();
    }

    private void Trim()
    {
        while (_pending.Count > MaxPendingCommands || (_pending.Count > 1 && _pendingCharacters > MaxPendingCharacters))
        {
            Release();
        }
    }

    private void Release()
    {
        var pending = _pending.Dequeue();
        _pendingCharacters -= pending.Characters + pending.Approvals.Sum(a => Size(a.Approval));
        var record = pending.Command.Command;
        if (_byNumber.TryGetValue(record.Number, out var indexed) && ReferenceEquals(indexed, pending))
        {
            _byNumber.Remove(record.Number);
        }

        var exit = pending.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-";
        writeLine($"#{record.Number,-4} {TerminalText.FormatOffset(pending.Command.OffsetNanoseconds)}  {UntrustedText.Neutralize(record.Decision),-7} exit {exit,-4} {UntrustedText.Neutralize(record.Text)}");
        if (!string.IsNullOrEmpty(record.RuleId) || !string.IsNullOrEmpty(record.Reason))
        {
            // A command decided by no rule (the policy's default) says so rather than leaving the label empty.
            var rule = string.IsNullOrEmpty(record.RuleId) ? "(default)" : UntrustedText.Neutralize(record.RuleId);
            var reason = string.IsNullOrEmpty(record.Reason) ? "" : $": {UntrustedText.Neutralize(record.Reason)}";
            writeLine($"      {new string(' ', 14)}  rule {rule}{reason}");
        }

        foreach (var approval in pending.Approvals)
        {
            WriteApproval(approval);
        }
    }

    private void WriteApproval(ApprovalEvent approval) =>
        writeLine($"      {TerminalText.FormatOffset(approval.OffsetNanoseconds)}  {RecordingExporter.DescribeApproval(approval.Approval)}");

    private static long Size(ApprovalRecord approval) =>
        approval.ApprovalId.Length + (approval.Approver?.Length ?? 0) + (approval.Decision?.Length ?? 0) + (approval.Reason?.Length ?? 0);

    private sealed class Pending(CommandEvent command)
    {
        public CommandEvent Command => command;

        public int? ExitCode { get; set; }

        public List<ApprovalEvent> Approvals { get; } = [];

        public long Characters { get; } = command.Command.Text.Length + command.Command.Decision.Length
            + (command.Command.RuleId?.Length ?? 0) + (command.Command.Reason?.Length ?? 0);
    }
}
