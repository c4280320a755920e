using Broker.Server.Access;
using Broker.Server.Audit;
using Broker.Server.Auth;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>
/// The audit log for auditors: the roles that may read every session's recordings (the policy's observers and
/// operators) read every event, oldest first, a page at a time from the store (<see cref="IAuditLog"/>), so a long
/// log is streamed, never held. It only translates.
/// </summary>
internal sealed class AuditGrpcService(AuditTrail trail, IAccessPolicy access) : V1.AuditService.AuditServiceBase
{
    private const int PageSize = 500;

    public override async Task ListAuditEvents(V1.ListAuditEventsRequest request, IServerStreamWriter<V1.ListAuditEventsResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        if (!access.IsObserver(caller) && !access.IsOperator(caller))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "only observers and operators may read the audit log"));
        }

        // The protocol's kinds are the store's, in the same order, after UNSPECIFIED.
        AuditEventKind? kind = request.Kind == V1.AuditEventKind.Unspecified ? null : (AuditEventKind)((int)request.Kind - 1);
        if (kind is { } k && !System.Enum.IsDefined(k))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown audit event kind {(int)request.Kind}"));
        }

        var query = new AuditQuery
        {
            Since = request.Since?.ToDateTimeOffset(),
            Until = request.Until?.ToDateTimeOffset(),
            SessionId = request.SessionId,
            Subject = request.Subject,
            Kind = kind,
            Decision = request.Decision,
        };
        long left = request.Limit == 0 ? long.MaxValue : request.Limit;
        while (left > 0)
        {
            var size = (int)Math.Min(PageSize, left);
            var page = await trail.Log.ListAsync(query with { Limit = size }, context.CancellationToken).ConfigureAwait(false);
            foreach (var row in page)
            {
                await responseStream.WriteAsync(new V1.ListAuditEventsResponse { Event = ToProto(row) }, context.CancellationToken).ConfigureAwait(false);
            }

            if (page.Count < size)
            {
                return;
            }

            left -= page.Count;
            query = query with { After = (page[^1].At, page[^1].Id) };
        }
    }

    private static V1.AuditEvent ToProto(AuditEvent row)
    {
        var proto = new V1.AuditEvent
        {
            Id = row.Id,
            At = Timestamp.FromDateTimeOffset(row.At),
            ReplicaId = row.Replica,
            Kind = (V1.AuditEventKind)((int)row.Kind + 1),
            SessionId = row.SessionId,
            ActorIssuer = row.ActorIssuer,
            ActorSubject = row.ActorSubject,
            Decision = row.Decision,
        };
        foreach (var (name, value) in row.Fields)
        {
            proto.Fields[name] = value;
        }

        return proto;
    }
}
