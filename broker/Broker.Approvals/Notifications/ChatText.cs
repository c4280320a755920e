using System.Text;

namespace Broker.Approvals;

/// <summary>
/// The <c>text</c> field of a webhook: one message for chat tools (Slack-style markup, which Mattermost and others
/// read too). Every value from a request is escaped for that markup (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>, so no
/// link, mention or tag can be forged), and the command is rendered with <see cref="VisibleCommand"/> and its
/// backticks shown as <c>\x60</c>, inside a code block it cannot close: a command cannot fake the message around it.
/// </summary>
internal static class ChatText
{
    /// <summary>The chat message for <paramref name="approvalEvent"/>.</summary>
    public static string Format(ApprovalEvent approvalEvent)
    {
        ArgumentNullException.ThrowIfNull(approvalEvent);
        var r = approvalEvent.Request;
        var text = new StringBuilder();
        text.Append(Headline(approvalEvent.Kind)).Append(' ').Append(Escape(r.Id)).Append('\n');
        text.Append("Requester: ").Append(Escape(r.Requester.Subject)).Append(" (").Append(Escape(r.Requester.Issuer)).Append(")\n");
        text.Append("Target: ").Append(Escape(r.Target)).Append(", role ").Append(Escape(r.Role)).Append('\n');
        text.Append("```").Append(Markup(VisibleCommand.Render(r.Command))).Append("```\n");
        foreach (var warning in VisibleCommand.Warnings(r.Command))
        {
            text.Append("Warning: the command contains ").Append(warning).Append('\n');
        }

        text.Append("Programs: ").Append(Escape(r.Programs.Count == 0 ? "-" : string.Join(", ", r.Programs)));
        if (r.AwsActions.Count > 0)
        {
            text.Append("; AWS: ").Append(Escape(string.Join(", ", r.AwsActions)));
        }

        text.Append('\n').Append("Rule: ").Append(Escape(r.RuleId ?? "-")).Append(": ").Append(Escape(r.Reason));
        if (r.StateReason is { } why)
        {
            text.Append('\n').Append(Escape(why));
        }

        if (approvalEvent.Kind == ApprovalEventKind.Requested)
        {
            text.Append('\n').Append("Decide with: agent-client approvals show ").Append(Escape(r.Id));
        }

        return text.ToString();
    }

    /// <summary>
    /// A value from a request for the message: controls made visible (a line break cannot start a fake line), then
    /// escaped for the markup.
    /// </summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Markup(VisibleCommand.Render(value));
    }

    /// <summary>Escapes the three characters chat markup reserves (links, mentions) and shows backticks by code, so no code span or block can be closed.</summary>
    private static string Markup(string visible) => visible
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("`", "\\x60", StringComparison.Ordinal);

    private static string Headline(ApprovalEventKind kind) => kind switch
    {
        ApprovalEventKind.Requested => "Approval requested:",
        ApprovalEventKind.ApprovalCounted => "Approval counted, more needed:",
        ApprovalEventKind.Approved => "Approved:",
        ApprovalEventKind.Denied => "Denied:",
        ApprovalEventKind.Expired => "Expired:",
        ApprovalEventKind.Withdrawn => "Withdrawn:",
        _ => "Executed:",
    };
}
