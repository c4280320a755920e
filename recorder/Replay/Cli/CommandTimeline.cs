using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>
/// Lays out `replay commands` as events stream past: each command with its decision, exit code, rule
/// and reason, then its approval steps, in the order things happened. A command waits for its exit
/// code and approvals, which come after it; what waits is bounded in number and size, and past the
/// budget the oldest is printed with what is known so far (anything about it that comes later gets
/// a line of its own, as do steps of commands the recording does not hold).
/// </summary>
internal sealed class CommandTimeline(Action<string> writeLine)
{
    /// <summary>Entries (commands and lines of their own) held back waiting for exit codes and approvals.</summary>
    public const int MaxPendingEntries = 256;

    /// <summary>Characters of text held back.</summary>
    public const long MaxPendingCharacters = 4L * 1024 * 1024;

    /// <summary>Approval steps kept with one waiting command; later ones get lines of their own.</summary>
    public const int MaxApprovalsPerCommand = 16;

    private readonly Queue<Entry> _pending = new();
    private readonly Dictionary<long, Entry> _commands = [];
    private long _pendingCharacters;
    private ExitEvent? _sessionExit;

    public void Add(RecordedEvent recorded)
    {
        switch (recorded)
        {
            case CommandEvent command:
                var entry = new Entry(command, null);
                _commands[command.Command.Number] = entry;
                Hold(entry);
                break;
            case CommandExitEvent exit when _commands.TryGetValue(exit.CommandNumber, out var waiting):
                waiting.ExitCode = exit.ExitCode;
                break;
            case CommandExitEvent exit:
                Hold(new Entry(null, $"      {TerminalText.FormatOffset(exit.OffsetNanoseconds)}  #{exit.CommandNumber} exited with {exit.ExitCode}"));
                break;
            case ApprovalEvent approval when _commands.TryGetValue(approval.Approval.CommandNumber, out var waiting) && waiting.Approvals.Count < MaxApprovalsPerCommand:
                var line = ApprovalLine(approval);
                waiting.Approvals.Add(line);
                _pendingCharacters += line.Length;
                Trim();
                break;
            case ApprovalEvent approval:
                Hold(new Entry(null, ApprovalLine(approval)));
                break;
            case ExitEvent exit:
                _sessionExit = exit;
                break;
        }
    }

    /// <summary>Prints everything still waiting, then the session's exit.</summary>
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

    private void Hold(Entry entry)
    {
        _pending.Enqueue(entry);
        _pendingCharacters += entry.Characters;
        Trim();
    }

    private void Trim()
    {
        while (_pending.Count > MaxPendingEntries || (_pending.Count > 1 && _pendingCharacters > MaxPendingCharacters))
        {
            Release();
        }
    }

    private void Release()
    {
        var entry = _pending.Dequeue();
        _pendingCharacters -= entry.Characters + entry.Approvals.Sum(a => (long)a.Length);
        if (entry.Command is not { } command)
        {
            writeLine(entry.Line!);
            return;
        }

        var record = command.Command;
        if (_commands.TryGetValue(record.Number, out var indexed) && ReferenceEquals(indexed, entry))
        {
            _commands.Remove(record.Number);
        }

        var exit = entry.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-";
        writeLine($"#{record.Number,-4} {TerminalText.FormatOffset(command.OffsetNanoseconds)}  {UntrustedText.Neutralize(record.Decision),-7} exit {exit,-4} {UntrustedText.Neutralize(record.Text)}");
        if (!string.IsNullOrEmpty(record.RuleId) || !string.IsNullOrEmpty(record.Reason))
        {
            // A command decided by no rule (the policy's default) says so rather than leaving the label empty.
            var rule = string.IsNullOrEmpty(record.RuleId) ? "(default)" : UntrustedText.Neutralize(record.RuleId);
            var reason = string.IsNullOrEmpty(record.Reason) ? "" : $": {UntrustedText.Neutralize(record.Reason)}";
            writeLine($"      {new string(' ', 14)}  rule {rule}{reason}");
        }

        foreach (var approval in entry.Approvals)
        {
            writeLine(approval);
        }
    }

    private static string ApprovalLine(ApprovalEvent approval) =>
        $"      {TerminalText.FormatOffset(approval.OffsetNanoseconds)}  {RecordingExporter.DescribeApproval(approval.Approval)}";

    /// <summary>A command waiting for its exit code and approvals, or a line of its own waiting its turn.</summary>
    private sealed class Entry(CommandEvent? command, string? line)
    {
        public CommandEvent? Command => command;

        public string? Line => line;

        public int? ExitCode { get; set; }

        public List<string> Approvals { get; } = [];

        public long Characters { get; } = line?.Length ?? (command!.Command.Text.Length + command.Command.Decision.Length
            + (command.Command.RuleId?.Length ?? 0) + (command.Command.Reason?.Length ?? 0));
    }
}
