using Broker.Core.Sessions;
using Broker.Server.Grpc;
using Broker.Server.Recording;
using Google.Protobuf.WellKnownTypes;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// An ended session as every replica lists it: from its row in the shared recording index, whichever replica held it,
/// so that <c>sessions list --all</c> reads the same through any replica. The index keeps the owner, target, kind,
/// start, end, exit code and end reason; roles, terminal size and the killing signal are not kept, and are left unset.
/// </summary>
internal static class EndedSessions
{
    /// <summary>The listing of the ended session in <paramref name="row"/>, held by <paramref name="replica"/>.</summary>
    public static V1.SessionInfo Info(RecordingIndexEntry row, string replica)
    {
        ArgumentNullException.ThrowIfNull(row);
        var info = new V1.SessionInfo
        {
            SessionId = row.SessionId,
            Subject = row.Subject,
            Issuer = row.Issuer,
            Target = row.Target,
            Kind = RegistryDetails.KindOf(row.Kind),
            State = V1.SessionState.Ended,
            StartedAt = Timestamp.FromDateTimeOffset(row.StartedAt),
            ReplicaId = replica,
        };
        if (row.EndedAt is { } ended)
        {
            info.EndedAt = Timestamp.FromDateTimeOffset(ended);
        }

        if (row.ExitCode is { } code)
        {
            info.Exit = new V1.ExitStatus
            {
                Code = code,
                Reason = System.Enum.TryParse<SessionEndReason>(row.EndReason, ignoreCase: false, out var reason) ? reason.ToProto() : V1.ExitReason.Unspecified,
            };
        }

        return info;
    }
}
