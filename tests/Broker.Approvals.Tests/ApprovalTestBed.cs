using Broker.Approvals;
using Broker.Policy;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Approvals.Tests;

/// <summary>A coordinator over a real SQLite store in a temporary directory of its own, on fake time.</summary>
internal sealed class ApprovalTestBed : IDisposable
{
    public const string Issuer = "https://issuer.test";

    private readonly List<IApprovalListener> _listeners;

    public ApprovalTestBed(params IApprovalListener[] listeners)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("approvals-tests-").FullName;
        _listeners = [.. listeners];
        Open();
    }

    public string Directory { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));

    public SqliteApprovalStore Store { get; private set; } = null!;

    public ApprovalCoordinator Coordinator { get; private set; } = null!;

    public string DatabasePath => Path.Combine(Directory, SqliteApprovalStore.FileName);

    /// <summary>Closes the store and the coordinator and opens them again over the same file (a broker restart).</summary>
    public void Reopen()
    {
        Coordinator.Dispose();
        Store.Dispose();
        Open();
    }

    public static CallerIdentity Caller(string subject, string[]? groups = null, string issuer = Issuer, Dictionary<string, string[]>? claims = null)
    {
        var all = new Dictionary<string, IReadOnlyList<string>> { ["groups"] = groups ?? [] };
        foreach (var (name, values) in claims ?? [])
        {
            all[name] = values;
        }

        return new CallerIdentity(issuer, subject, all);
    }

    public static ApprovalSpec Spec(
        string command = "rm a",
        string requester = "agent-1",
        string target = "local",
        string role = "agent",
        string policy = "policy-v1",
        ApprovalRequirements? requirements = null,
        string session = "s-1") => new()
        {
            SessionId = session,
            Target = target,
            Role = role,
            Requester = new ApprovalParty(Issuer, requester),
            Command = command,
            PolicyVersion = policy,
            RuleId = "agent-writes",
            Reason = "changes files",
            Programs = ["rm"],
            Requirements = requirements ?? Requirements(),
        };

    public static ApprovalRequirements Requirements(int quorum = 1, bool eachGroup = false, string[]? groups = null, Dictionary<string, IReadOnlyList<string>>? claims = null) => new()
    {
        Groups = groups ?? ["operators"],
        Quorum = quorum,
        OneFromEachGroup = eachGroup,
        RequiredClaims = claims ?? [],
        Timeout = TimeSpan.FromMinutes(15),
        ExecutionWindow = TimeSpan.FromMinutes(10),
    };

    public void Dispose()
    {
        Coordinator.Dispose();
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private void Open()
    {
        Store = new SqliteApprovalStore(DatabasePath);
        Coordinator = new ApprovalCoordinator(Store, Time, _listeners);
    }
}
