using Broker.Approvals;

namespace Broker.Server.Audit;

/// <summary>Tells the audit trail of every approval change made on this broker (changes other replicas made are theirs to audit).</summary>
internal sealed class AuditApprovalListener(AuditTrail trail) : IApprovalListener
{
    public void OnApprovalEvent(ApprovalEvent approvalEvent)
    {
        if (AuditProjection.Approval(approvalEvent) is { } audited)
        {
            trail.Post(audited);
        }
    }
}
