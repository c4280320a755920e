using System.Globalization;
using Broker.Approvals;
using Broker.Protocol.V1;
using Recorder;
using ApprovalEventKind = Broker.Protocol.V1.ApprovalEventKind;

namespace AgentClient.Cli.Approvals;

/// <summary>
/// Renders approval requests for people. Every field came from an agent or the broker and is neutralized; the
/// command is rendered strictly (<see cref="VisibleCommand"/>): every control, bidirectional, zero-width and
/// non-ASCII character shown by its code point, with the parsed programs and AWS actions beside it.
/// </summary>
internal static class ApprovalPrinter
{
    public static void Details(TextWriter output, Approval a, DateTimeOffset now)
    {
        output.WriteLine($"id          {Text(a.Id)}");
        output.WriteLine($"state       {State(a.State)}{StateDetail(a, now)}");
        output.WriteLine($"requester   {Text(a.Requester?.Subject)} ({Text(a.Requester?.Issuer)})");
        output.WriteLine($"target      {Text(a.Target)}   role {Text(a.Role)}   session {Text(a.SessionId)}");
        output.WriteLine($"rule        {Text(a.Rule)}: {Text(a.Reason)}");
        output.WriteLine($"command     {VisibleCommand.Render(a.Command)}");
        foreach (var warning in VisibleCommand.Warnings(a.Command))
        {
            output.WriteLine($"  warning   the command contains {warning}");
        }

        output.WriteLine($"programs    {List(a.Programs)}");
        output.WriteLine($"aws         {List(a.AwsActions)}");
        output.WriteLine($"approvers   {Approvers(a.Requirements)}");
        output.WriteLine($"requested   {Time(a.CreatedAt?.ToDateTimeOffset())}   expires {Time(a.ExpiresAt?.ToDateTimeOffset())}");
        foreach (var d in a.Decisions)
        {
            var reason = string.IsNullOrEmpty(d.Reason) ? string.Empty : $": {Text(d.Reason)}";
            output.WriteLine($"decision    {(d.Approved ? "approved" : "denied")} by {Text(d.Approver?.Subject)} ({Text(d.Approver?.Issuer)}) at {Time(d.DecidedAt?.ToDateTimeOffset())}{reason}");
        }
    }

    /// <summary>One line: id, state, requester, target, the visible command and its programs.</summary>
    public static string Line(Approval a) =>
        $"{Text(a.Id),-24} {State(a.State),-9} {Text(a.Requester?.Subject),-16} {Text(a.Target),-10} {VisibleCommand.Render(a.Command)}   [programs: {List(a.Programs)}{(a.AwsActions.Count > 0 ? "; aws: " + List(a.AwsActions) : string.Empty)}]";

    public static string Header => $"{"ID",-24} {"STATE",-9} {"REQUESTER",-16} {"TARGET",-10} COMMAND";

    public static string Event(ApprovalEventKind kind) => kind switch
    {
        ApprovalEventKind.Requested => "requested",
        ApprovalEventKind.ApprovalCounted => "approval-counted",
        ApprovalEventKind.Approved => "approved",
        ApprovalEventKind.Denied => "denied",
        ApprovalEventKind.Expired => "expired",
        ApprovalEventKind.Withdrawn => "withdrawn",
        ApprovalEventKind.Executed => "executed",
        _ => "changed",
    };

    public static string State(ApprovalState state) => state switch
    {
        ApprovalState.Pending => "pending",
        ApprovalState.Approved => "approved",
        ApprovalState.Denied => "denied",
        ApprovalState.Expired => "expired",
        ApprovalState.Withdrawn => "withdrawn",
        ApprovalState.Executed => "executed",
        _ => "unknown",
    };

    private static string StateDetail(Approval a, DateTimeOffset now)
    {
        if (a.State == ApprovalState.Pending && a.ExpiresAt is { } expires)
        {
            var left = expires.ToDateTimeOffset() - now;
            return left > TimeSpan.Zero ? $" ({Math.Ceiling(left.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min left)" : string.Empty;
        }

        if (a.State == ApprovalState.Approved && a.ExecuteBy is { } by)
        {
            return $" (run it by {Time(by.ToDateTimeOffset())})";
        }

        return string.IsNullOrEmpty(a.StateReason) ? string.Empty : $": {Text(a.StateReason)}";
    }

    private static string Approvers(ApproverRequirements? r)
    {
        if (r is null)
        {
            return "-";
        }

        var quorum = r.OneFromEachGroup ? "one from each group" : $"{r.Quorum.ToString(CultureInfo.InvariantCulture)} distinct";
        var claims = r.RequiredClaims.Count > 0 ? $", claims {List(r.RequiredClaims)}" : string.Empty;
        return $"groups {List(r.Groups)}, quorum {quorum}{claims}";
    }

    private static string List(IEnumerable<string> items)
    {
        var shown = string.Join(", ", items.Select(Text));
        return shown.Length == 0 ? "-" : shown;
    }

    private static string Time(DateTimeOffset? time) => time is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static string Text(string? text) => string.IsNullOrEmpty(text) ? "-" : UntrustedText.Neutralize(text, 512);
}
