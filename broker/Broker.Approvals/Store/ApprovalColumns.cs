using System.Data.Common;
using System.Text.Json;

namespace Broker.Approvals;

/// <summary>
/// The row shape of a request, shared by the SQL stores: scalar columns for what queries filter on, JSON text for
/// the nested parts, times as Unix milliseconds (portable between SQLite and PostgreSQL).
/// </summary>
internal static class ApprovalColumns
{
    public const string Names =
        "id, session_id, target, role, requester_issuer, requester_subject, command, binding, policy_version, rule_id, reason, "
        + "programs, aws_actions, requirements, created_at, expires_at, state, state_reason, decisions, decided_at, execute_by, executed_at, version";

    public const string Parameters =
        "$id, $session, $target, $role, $issuer, $subject, $command, $binding, $policy, $rule, $reason, "
        + "$programs, $aws, $requirements, $created, $expires, $state, $state_reason, $decisions, $decided, $execute_by, $executed, $version";

    public const string Assignments =
        "state = $state, state_reason = $state_reason, decisions = $decisions, decided_at = $decided, execute_by = $execute_by, executed_at = $executed, version = $version";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Bind(DbCommand command, ApprovalRequest request)
    {
        Add(command, "$id", request.Id);
        Add(command, "$session", request.SessionId);
        Add(command, "$target", request.Target);
        Add(command, "$role", request.Role);
        Add(command, "$issuer", request.Requester.Issuer);
        Add(command, "$subject", request.Requester.Subject);
        Add(command, "$command", request.Command);
        Add(command, "$binding", request.Binding);
        Add(command, "$policy", request.PolicyVersion);
        Add(command, "$rule", request.RuleId);
        Add(command, "$reason", request.Reason);
        Add(command, "$programs", JsonSerializer.Serialize(request.Programs, Json));
        Add(command, "$aws", JsonSerializer.Serialize(request.AwsActions, Json));
        Add(command, "$requirements", JsonSerializer.Serialize(request.Requirements, Json));
        Add(command, "$created", request.CreatedAt.ToUnixTimeMilliseconds());
        Add(command, "$expires", request.ExpiresAt.ToUnixTimeMilliseconds());
        Add(command, "$state", request.State.Name());
        Add(command, "$state_reason", request.StateReason);
        Add(command, "$decisions", JsonSerializer.Serialize(request.Decisions, Json));
        Add(command, "$decided", request.DecidedAt?.ToUnixTimeMilliseconds());
        Add(command, "$execute_by", request.ExecuteBy?.ToUnixTimeMilliseconds());
        Add(command, "$executed", request.ExecutedAt?.ToUnixTimeMilliseconds());
        Add(command, "$version", request.Version);
    }

    // The binding column is for queries; the request computes its binding from the fields it binds.
    public static ApprovalRequest Read(DbDataReader row) => new()
    {
        Id = row.GetString(0),
        SessionId = row.GetString(1),
        Target = row.GetString(2),
        Role = row.GetString(3),
        Requester = new ApprovalParty(row.GetString(4), row.GetString(5)),
        Command = row.GetString(6),
        PolicyVersion = row.GetString(8),
        RuleId = row.IsDBNull(9) ? null : row.GetString(9),
        Reason = row.GetString(10),
        Programs = JsonSerializer.Deserialize<List<string>>(row.GetString(11), Json) ?? [],
        AwsActions = JsonSerializer.Deserialize<List<string>>(row.GetString(12), Json) ?? [],
        Requirements = JsonSerializer.Deserialize<ApprovalRequirements>(row.GetString(13), Json) ?? throw new InvalidDataException("a stored approval request has no requirements"),
        CreatedAt = Time(row, 14)!.Value,
        ExpiresAt = Time(row, 15)!.Value,
        State = ApprovalStateNames.Parse(row.GetString(16)) ?? throw new InvalidDataException($"unknown approval state '{row.GetString(16)}'"),
        StateReason = row.IsDBNull(17) ? null : row.GetString(17),
        Decisions = JsonSerializer.Deserialize<List<ApprovalDecision>>(row.GetString(18), Json) ?? [],
        DecidedAt = Time(row, 19),
        ExecuteBy = Time(row, 20),
        ExecutedAt = Time(row, 21),
        Version = row.GetInt64(22),
    };

    private static DateTimeOffset? Time(DbDataReader row, int column) =>
        row.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(row.GetInt64(column));

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
