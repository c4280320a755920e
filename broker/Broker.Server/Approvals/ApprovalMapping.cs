using Broker.Approvals;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Approvals;

/// <summary>Translates approval requests and results between the core model and <c>broker.v1</c>.</summary>
internal static class ApprovalMapping
{
    public static V1.Approval ToProto(this ApprovalRequest request)
    {
        var proto = new V1.Approval
        {
            Id = request.Id,
            SessionId = request.SessionId,
            Target = request.Target,
            Role = request.Role,
            Requester = request.Requester.ToProto(),
            Command = request.Command,
            Binding = request.Binding,
            PolicyVersion = request.PolicyVersion,
            Rule = request.RuleId ?? string.Empty,
            Reason = request.Reason,
            Requirements = request.Requirements.ToProto(),
            CreatedAt = Timestamp.FromDateTimeOffset(request.CreatedAt),
            ExpiresAt = Timestamp.FromDateTimeOffset(request.ExpiresAt),
            State = request.State.ToProto(),
            StateReason = request.StateReason ?? string.Empty,
            DecidedAt = Stamp(request.DecidedAt),
            ExecuteBy = Stamp(request.ExecuteBy),
            ExecutedAt = Stamp(request.ExecutedAt),
        };
        proto.Programs.AddRange(request.Programs);
        proto.AwsActions.AddRange(request.AwsActions);
        foreach (var decision in request.Decisions)
        {
            var item = new V1.ApprovalDecision
            {
                Approver = decision.Approver.ToProto(),
                Approved = decision.Approved,
                Reason = decision.Reason ?? string.Empty,
                DecidedAt = Timestamp.FromDateTimeOffset(decision.At),
            };
            item.Groups.AddRange(decision.Groups);
            proto.Decisions.Add(item);
        }

        return proto;
    }

    public static V1.ApproverRequirements ToProto(this ApprovalRequirements requirements)
    {
        var proto = new V1.ApproverRequirements { Quorum = (uint)requirements.Quorum, OneFromEachGroup = requirements.OneFromEachGroup };
        proto.Groups.AddRange(requirements.Groups);
        proto.RequiredClaims.AddRange(requirements.RequiredClaims.SelectMany(c => c.Value.Select(v => $"{c.Key}={v}")));
        return proto;
    }

    /// <summary>The <c>held</c> frame of an exec whose command waits for approval.</summary>
    public static V1.CommandHeld ToProto(this Composition.HeldCommand held) => new()
    {
        ApprovalId = held.ApprovalId,
        ExpiresAt = Timestamp.FromDateTimeOffset(held.ExpiresAt),
        Approvers = held.Approvers.ToProto(),
        Approvals = (uint)held.Approvals,
    };

    public static V1.ApprovalState ToProto(this ApprovalState state) => state switch
    {
        ApprovalState.Pending => V1.ApprovalState.Pending,
        ApprovalState.Approved => V1.ApprovalState.Approved,
        ApprovalState.Denied => V1.ApprovalState.Denied,
        ApprovalState.Expired => V1.ApprovalState.Expired,
        ApprovalState.Withdrawn => V1.ApprovalState.Withdrawn,
        _ => V1.ApprovalState.Executed,
    };

    public static ApprovalState? FromProto(this V1.ApprovalState state) => state switch
    {
        V1.ApprovalState.Pending => ApprovalState.Pending,
        V1.ApprovalState.Approved => ApprovalState.Approved,
        V1.ApprovalState.Denied => ApprovalState.Denied,
        V1.ApprovalState.Expired => ApprovalState.Expired,
        V1.ApprovalState.Withdrawn => ApprovalState.Withdrawn,
        V1.ApprovalState.Executed => ApprovalState.Executed,
        _ => null,
    };

    public static V1.ApprovalEventKind ToProto(this ApprovalEventKind kind) => kind switch
    {
        ApprovalEventKind.Requested => V1.ApprovalEventKind.Requested,
        ApprovalEventKind.ApprovalCounted => V1.ApprovalEventKind.ApprovalCounted,
        ApprovalEventKind.Approved => V1.ApprovalEventKind.Approved,
        ApprovalEventKind.Denied => V1.ApprovalEventKind.Denied,
        ApprovalEventKind.Expired => V1.ApprovalEventKind.Expired,
        ApprovalEventKind.Withdrawn => V1.ApprovalEventKind.Withdrawn,
        _ => V1.ApprovalEventKind.Executed,
    };

    /// <summary>The request after a successful step, or the gRPC status that says why the step was refused.</summary>
    public static V1.Approval OrThrow(this ApprovalResult result)
    {
        if (result.Succeeded && result.Request is { } request)
        {
            return request.ToProto();
        }

        var code = result.Refusal switch
        {
            ApprovalRefusal.NotFound => StatusCode.NotFound,
            ApprovalRefusal.NotAllowed => StatusCode.PermissionDenied,
            ApprovalRefusal.Invalid => StatusCode.InvalidArgument,
            _ => StatusCode.FailedPrecondition,
        };
        throw new RpcException(new Status(code, result.Message ?? "the step was refused"));
    }

    private static V1.ApprovalParty ToProto(this ApprovalParty party) => new() { Issuer = party.Issuer, Subject = party.Subject };

    private static Timestamp? Stamp(DateTimeOffset? time) => time is { } value ? Timestamp.FromDateTimeOffset(value) : null;
}
