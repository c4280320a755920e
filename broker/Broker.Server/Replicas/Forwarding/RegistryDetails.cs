using Broker.Core.Sessions;
using Broker.Postgres;
using Google.Protobuf.WellKnownTypes;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// The one translation between a session and its registry row: what the holder writes (kind, roles, terminal size)
/// and what every other replica lists from it. A session listed through any replica then reads the same, field by field,
/// as long as both sides go through here (<see cref="ListedAlike"/> for the holder's own rows).
/// </summary>
internal static class RegistryDetails
{
    private const string Interactive = "interactive";
    private const string Exec = "exec";

    /// <summary>What the registry carries of <paramref name="session"/> beyond its owner and target.</summary>
    public static LiveSessionDetails Of(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var interactive = session.Kind == SessionKind.Interactive;
        var (columns, rows) = interactive ? session.Size : (0, 0);
        return new LiveSessionDetails(interactive ? Interactive : Exec, [.. session.Roles], columns, rows);
    }

    /// <summary>A running session another replica holds, as its row in the registry describes it.</summary>
    public static V1.SessionInfo Info(LiveSession row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var info = new V1.SessionInfo
        {
            SessionId = row.Id,
            Subject = row.OwnerSubject,
            Issuer = row.OwnerIssuer,
            Target = row.Target,
            State = V1.SessionState.Running,
            StartedAt = Timestamp.FromDateTimeOffset(row.StartedAt),
            ReplicaId = row.ReplicaId,
            Kind = KindOf(row.Details.Kind),
        };
        info.Roles.AddRange(row.Details.Roles);
        if (row.Details.Kind == Interactive)
        {
            info.Size = new V1.TerminalSize { Columns = (uint)row.Details.Columns, Rows = (uint)row.Details.Rows };
        }

        return info;
    }

    /// <summary>The kind a registry row or a recording names ("interactive", "exec"), as the protocol says it.</summary>
    public static V1.SessionKind KindOf(string kind) => kind switch
    {
        Interactive => V1.SessionKind.Interactive,
        Exec => V1.SessionKind.Exec,
        _ => V1.SessionKind.Unspecified,
    };

    /// <summary>
    /// The holder's own listing of a session reduced to what the registry keeps (its start to the millisecond), so that
    /// the holder and the other replicas list it identically.
    /// </summary>
    public static V1.SessionInfo ListedAlike(V1.SessionInfo info, string replicaId)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.ReplicaId = replicaId;
        info.StartedAt = Milliseconds(info.StartedAt);
        if (info.EndedAt is not null)
        {
            info.EndedAt = Milliseconds(info.EndedAt);
        }

        return info;
    }

    private static Timestamp Milliseconds(Timestamp time) => Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(time.ToDateTimeOffset().ToUnixTimeMilliseconds()));
}
