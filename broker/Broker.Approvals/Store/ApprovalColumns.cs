using System.Data.Common;
using System.Text.Json;

namespace Broker.Approvals;

/// <summary>
/// The row shape of a request, shared by the SQL stores (SQLite here, PostgreSQL in Broker.Postgres): scalar columns for
/// what queries filter on, JSON text for the nested parts, times as Unix milliseconds, and <c>@name</c> parameters,
/// which both providers accept. One definition, so the two stores cannot drift apart.
/// </summary>
public static class ApprovalColumns
{
    /// <summary>The table and its indexes, in SQL both SQLite and PostgreSQL run (idempotent).</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS approval_requests (
          id TEXT PRIMARY KEY,
          session_id TEXT NOT NULL,
          target TEXT NOT NULL,
          role TEXT NOT NULL,
          requester_issuer TEXT NOT NULL,
          requester_subject TEXT NOT NULL,
          command TEXT NOT NULL,
          binding TEXT NOT NULL,
          policy_version TEXT NOT NULL,
          rule_id TEXT NULL,
          reason TEXT NOT NULL,
          programs TEXT NOT NULL,
          aws_actions TEXT NOT NULL,
          requirements TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL,
          state TEXT NOT NULL,
          state_reason TEXT NULL,
          decisions TEXT NOT NULL,
          decided_at BIGINT NULL,
          execute_by BIGINT NULL,
          executed_at BIGINT NULL,
          version BIGINT NOT NULL);
        CREATE INDEX IF NOT EXISTS approval_requests_state ON approval_requests(state, expires_at);
        CREATE INDEX IF NOT EXISTS approval_requests_binding ON approval_requests(binding);
        CREATE INDEX IF NOT EXISTS approval_requests_created ON approval_requests(created_at);
        """;

    /// <summary>The columns, in the order <see cref="Read"/> reads them.</summary>
    public const string Names =
        "id, session_id, target, role, requester_issuer, requester_subject, command, binding, policy_version, rule_id, reason, "
        + "programs, aws_actions, requirements, created_at, expires_at, state, state_reason, decisions, decided_at, execute_by, executed_at, version";

    /// <summary>The parameters <see cref="Bind"/> sets, in the order of <see cref="Names"/>.</summary>
    public const string Parameters =
        "@id, @session, @target, @role, @issuer, @subject, @command, @binding, @policy, @rule, @reason, "
        + "@programs, @aws, @requirements, @created, @expires, @state, @state_reason, @decisions, @decided, @execute_by, @executed, @version";

    /// <summary>What a change to a stored request may set: its state, decisions and times, and its version.</summary>
    public const string Assignments =
        "state = @state, state_reason = @state_reason, decisions = @decisions, decided_at = @decided, execute_by = @execute_by, executed_at = @executed, version = @version";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Sets every parameter of <see cref="Parameters"/> from <paramref name="request"/>.</summary>
    public static void Bind(DbCommand command, ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        Add(command, "@id", request.Id);
        Add(command, "@session", request.SessionId);
        Add(command, "@target", request.Target);
        Add(command, "@role", request.Role);
        Add(command, "@issuer", request.Requester.Issuer);
        Add(command, "@subject", request.Requester.Subject);
        Add(command, "@command", request.Command);
        Add(command, "@binding", request.Binding);
        Add(command, "@policy", request.PolicyVersion);
        Add(command, "@rule", request.RuleId);
        Add(command, "@reason", request.Reason);
        Add(command, "@programs", JsonSerializer.Serialize(request.Programs, Json));
        Add(command, "@aws", JsonSerializer.Serialize(request.AwsActions, Json));
        Add(command, "@requirements", JsonSerializer.Serialize(request.Requirements, Json));
        Add(command, "@created", request.CreatedAt.ToUnixTimeMilliseconds());
        Add(command, "@expires", request.ExpiresAt.ToUnixTimeMilliseconds());
        Add(command, "@state", request.State.Name());
        Add(command, "@state_reason", request.StateReason);
        Add(command, "@decisions", JsonSerializer.Serialize(request.Decisions, Json));
        Add(command, "@decided", request.DecidedAt?.ToUnixTimeMilliseconds());
        Add(command, "@execute_by", request.ExecuteBy?.ToUnixTimeMilliseconds());
        Add(command, "@executed", request.ExecutedAt?.ToUnixTimeMilliseconds());
        Add(command, "@version", request.Version);
    }

    /// <summary>The request in the current row of <paramref name="row"/>, selected as <see cref="Names"/>.</summary>
    /// <remarks>The binding column is for queries; the request computes its binding from the fields it binds.</remarks>
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
