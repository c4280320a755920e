using Broker.Harness.Floor;

namespace Broker.Harness;

/// <summary>What to compare and how much of it; built once from the command line by <see cref="Parse"/>.</summary>
internal sealed record HarnessOptions
{
    public required Uri BrokerAddress { get; init; }

    public required string BrokerData { get; init; }

    public required int BrokerProcessId { get; init; }

    public required string SshConfig { get; init; }

    public required string SshHost { get; init; }

    public required string SshControlPath { get; init; }

    public required int SshdProcessId { get; init; }

    /// <summary>
    /// A cgroup that holds sshd and every process it starts (bench/run makes one where the host lets it), or null. The
    /// privileged sshd-session exits without reaping its unprivileged child, which does the encryption and runs the
    /// command: that CPU never reaches sshd's own reaped-children time, only the cgroup's.
    /// </summary>
    public string? SshdCgroup { get; init; }

    public required string WorkDirectory { get; init; }

    /// <summary>
    /// The broker's pause log (bench/run starts the broker with BROKER_GC_PAUSE_LOG naming it), which the concurrency
    /// measurement lines up with its slowest echoes; null leaves the broker's pauses out of the tail attribution.
    /// </summary>
    public string? BrokerGcLog { get; init; }

    /// <summary>The built <c>agent-client</c>, which drives the broker's load-generating sessions from a process of their own.</summary>
    public required string AgentClient { get; init; }

    /// <summary>The Native AOT <c>agent-client</c> (bench/run publishes it), measured as a whole process; null leaves it out.</summary>
    public string? AgentClientAot { get; init; }

    /// <summary>A second Native AOT <c>agent-client</c> measured alongside (a before/after in one run); null leaves it out.</summary>
    public string? AgentClientAotBaseline { get; init; }

    public required string OutputPath { get; init; }

    public string Target { get; init; } = "local";

    /// <summary>Groups the broker's tokens carry (the dev policy gives raw terminals to <c>shell-users</c>); none in line mode.</summary>
    public IReadOnlyList<string> TokenGroups { get; init; } = [];

    /// <summary>
    /// The broker's terminals (--terminal-mode raw|line; default raw): raw, the tokens carry --token-groups; line, they
    /// carry no group, so the dev policy gives them only its agents' role, whose terminal is line mode (the agents'
    /// default: every command decided before the shell sees it, the keys echoed by the broker's line editor).
    /// </summary>
    public string TerminalMode { get; init; } = "raw";

    public bool Quick { get; init; }

    /// <summary>The largest session count OpenSSH is driven at (each needs an ssh client and sshd processes).</summary>
    public int SshMaxSessions { get; init; } = 1000;

    public long ThroughputFileBytes => Quick ? 4L << 20 : 64L << 20;

    public int ThroughputRepeat => Quick ? 2 : 16;

    /// <summary>Interleaved throughput rounds per data kind; null means the mode's default.</summary>
    public int? Rounds { get; init; }

    public int ThroughputRounds => Rounds ?? (Quick ? 1 : 3);

    public TimeSpan ThroughputTimeout => Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10);

    /// <summary>The size of the ordinary text file the bulk-output runs print with cat (the issue's 256 MiB).</summary>
    public long BulkFileBytes => Quick ? 16L << 20 : 256L << 20;

    public int BulkRounds => Rounds ?? (Quick ? 1 : 3);

    public TimeSpan BulkTimeout => Quick ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(10);

    public int Keystrokes => Quick ? 200 : 10_000;

    public int KeystrokeBlocks => Quick ? 2 : 10;

    /// <summary>Exec runs per variant; null means the mode's default.</summary>
    public int? ExecRuns { get; init; }

    public int ExecCount => ExecRuns ?? (Quick ? 30 : 1_000);

    /// <summary>
    /// Whether the exec measurement runs the ssh variants too (the default); without them it compares the broker with
    /// the direct spawn only, which is what an A/B of the broker's exec path needs, in a fraction of the time.
    /// </summary>
    public bool ExecWithSsh { get; init; } = true;

    /// <summary>Whole-process runs per variant in the start-up measurement; null means the mode's default.</summary>
    public int? StartupRuns { get; init; }

    public int StartupCount => StartupRuns ?? (Quick ? 5 : 200);

    /// <summary>
    /// The rate (MB/s) at which the other session streams in the echo test, the same for every system; null streams as
    /// fast as each system carries it (a faster system then loads the machine more beside its own echo).
    /// </summary>
    public double? StreamPace { get; init; }

    /// <summary>Session counts the concurrency measurement opens (--sessions), or the mode's default.</summary>
    public IReadOnlyList<int>? Sessions { get; init; }

    public IReadOnlyList<int> SessionCounts => Sessions ?? (Quick ? [1, 10] : [1, 100, 500, 1_000]);

    /// <summary>
    /// Interleaved rounds of the concurrency measurement (--rounds; default 1): each round runs every system in turn, so
    /// a machine whose load changes during the run weighs on each system alike (A B A B).
    /// </summary>
    public int ConcurrencyRounds => Rounds ?? 1;

    public TimeSpan ConcurrencyWindow => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(20);

    public TimeSpan EchoPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The measurements to run (all of <see cref="Measurements"/> unless --only named some).</summary>
    public IReadOnlySet<string> Selected { get; init; } = new HashSet<string>(Measurements, StringComparer.Ordinal);

    /// <summary>The names --only accepts.</summary>
    public static IReadOnlyList<string> Measurements { get; } = ["throughput", "bulk", "echo", "exec", "startup", "concurrency", "replicas"];

    /// <summary>The replicas' gRPC addresses (bench/run started them over one PostgreSQL database), or empty.</summary>
    public IReadOnlyList<Uri> ReplicaAddresses { get; init; } = [];

    /// <summary>The replicas' process ids, in the order of <see cref="ReplicaAddresses"/>.</summary>
    public IReadOnlyList<int> ReplicaProcessIds { get; init; } = [];

    /// <summary>A data directory holding the replicas' shared dev issuer key.</summary>
    public string? ReplicaData { get; init; }

    /// <summary>Why bench/run did not start replicas (quick mode on a machine without PostgreSQL), or null.</summary>
    public string? ReplicasSkipped { get; init; }

    /// <summary>Sessions of the replicas measurement, on the replicas together and on each other system.</summary>
    public int? ReplicaSessionCount { get; init; }

    /// <summary>Sessions of the replicas measurement (issue 21: 300; quick 6, two per replica).</summary>
    public int ReplicaSessions => ReplicaSessionCount ?? (Quick ? 6 : 300);

    /// <summary>Rounds of the replicas measurement (each system once per round, the order rotating).</summary>
    public int ReplicaRounds => Rounds ?? (Quick ? 1 : 2);

    /// <summary>
    /// Client worker processes among which the concurrency and replicas measurements share their sessions (--client-workers;
    /// default 4), so that no one client process's collections sit in every session's echo; 0 drives them from the harness.
    /// </summary>
    public int ClientWorkers { get; init; } = 4;

    /// <summary>Set in a client worker (--client-worker K, passed by the harness itself): which one this process is.</summary>
    public int? ClientWorkerIndex { get; init; }

    /// <summary>
    /// The transport floor's servers (--floor-systems NAME=PID@URL,...; bench/run --floor-systems starts them), measured
    /// beside the others in the concurrency measurement only; empty leaves them out.
    /// </summary>
    public IReadOnlyList<FloorServerAddress> FloorServers { get; init; } = [];

    public bool Runs(string measurement) => Selected.Contains(measurement);

    public static (HarnessOptions? Options, string? Error) Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
            {
                quick = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i][2..]] = args[++i];
            }
            else
            {
                return (null, $"unexpected argument '{args[i]}'");
            }
        }

        var execWithSsh = values.GetValueOrDefault("exec-peers", "all") switch
        {
            "all" => (bool?)true,
            "direct" => false,
            _ => null,
        };
        if (execWithSsh is null)
        {
            return (null, "--exec-peers must be 'all' or 'direct'");
        }

        var terminalMode = values.GetValueOrDefault("terminal-mode", "raw");
        if (terminalMode is not ("raw" or "line"))
        {
            return (null, "--terminal-mode must be 'raw' or 'line'");
        }

        string[] required = ["broker-url", "broker-data", "broker-pid", "ssh-config", "ssh-host", "ssh-control", "sshd-pid", "work", "out", "agent-client"];
        var missing = required.Where(k => !values.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
        {
            return (null, "missing " + string.Join(", ", missing.Select(m => "--" + m)));
        }

        if (!Uri.TryCreate(values["broker-url"], UriKind.Absolute, out var address))
        {
            return (null, "--broker-url must be an absolute URL");
        }

        if (!int.TryParse(values["broker-pid"], out var brokerPid) || !int.TryParse(values["sshd-pid"], out var sshdPid))
        {
            return (null, "--broker-pid and --sshd-pid must be process ids");
        }

        var sshMax = 1000;
        if (values.TryGetValue("ssh-max-sessions", out var max) && (!int.TryParse(max, out sshMax) || sshMax < 1))
        {
            return (null, "--ssh-max-sessions must be a positive number");
        }

        int? rounds = null, execRuns = null, startupRuns = null;
        if (values.TryGetValue("rounds", out var r))
        {
            if (!int.TryParse(r, out var n) || n < 1)
            {
                return (null, "--rounds must be a positive number");
            }

            rounds = n;
        }

        if (values.TryGetValue("exec-count", out var e))
        {
            if (!int.TryParse(e, out var n) || n < 1)
            {
                return (null, "--exec-count must be a positive number");
            }

            execRuns = n;
        }

        if (values.TryGetValue("startup-count", out var startup))
        {
            if (!int.TryParse(startup, out var n) || n < 1)
            {
                return (null, "--startup-count must be a positive number");
            }

            startupRuns = n;
        }

        IReadOnlyList<int>? sessions = null;
        if (values.TryGetValue("sessions", out var counts))
        {
            var parsed = counts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(c => int.TryParse(c, out var n) && n > 0 ? n : 0).ToArray();
            if (parsed.Length == 0 || parsed.Contains(0))
            {
                return (null, "--sessions takes a comma-separated list of positive session counts");
            }

            sessions = parsed;
        }

        double? streamPace = null;
        if (values.TryGetValue("stream-pace", out var pace))
        {
            if (!double.TryParse(pace, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mbps) || mbps <= 0 || mbps > 1000)
            {
                return (null, "--stream-pace takes a rate in MB/s (above 0, at most 1000)");
            }

            streamPace = mbps;
        }

        var replicaAddresses = new List<Uri>();
        foreach (var url in values.GetValueOrDefault("replica-urls", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var replica))
            {
                return (null, "--replica-urls takes a comma-separated list of absolute URLs");
            }

            replicaAddresses.Add(replica);
        }

        var replicaPids = values.GetValueOrDefault("replica-pids", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, out var pid) && pid > 0 ? pid : 0).ToArray();
        if (replicaPids.Length != replicaAddresses.Count || replicaPids.Contains(0) || (replicaAddresses.Count > 0 && !values.ContainsKey("replica-data")))
        {
            return (null, "--replica-urls, --replica-pids (one process id per URL) and --replica-data go together");
        }

        int? replicaSessions = null;
        if (values.TryGetValue("replica-sessions", out var rs))
        {
            if (!int.TryParse(rs, out var n) || n < 1)
            {
                return (null, "--replica-sessions must be a positive number");
            }

            replicaSessions = n;
        }

        var clientWorkers = 4;
        if (values.TryGetValue("client-workers", out var cw) && (!int.TryParse(cw, out clientWorkers) || clientWorkers < 0 || clientWorkers > 64))
        {
            return (null, "--client-workers must be a number from 0 (the harness's own process) to 64");
        }

        int? workerIndex = null;
        if (values.TryGetValue("client-worker", out var wi))
        {
            if (!int.TryParse(wi, out var n) || n < 0)
            {
                return (null, "--client-worker must be a worker index");
            }

            workerIndex = n;
        }

        var (floorServers, floorError) = FloorServerAddress.ParseList(values.GetValueOrDefault("floor-systems", string.Empty));
        if (floorError is not null)
        {
            return (null, floorError);
        }

        var selected = new HashSet<string>(Measurements, StringComparer.Ordinal);
        if (values.TryGetValue("only", out var only))
        {
            selected = new HashSet<string>(only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
            if (selected.Count == 0 || selected.FirstOrDefault(m => !Measurements.Contains(m)) is { } unknown)
            {
                return (null, $"--only takes a comma-separated list of {string.Join(", ", Measurements)}");
            }
        }

        return (new HarnessOptions
        {
            BrokerAddress = address,
            BrokerData = values["broker-data"],
            BrokerProcessId = brokerPid,
            SshConfig = values["ssh-config"],
            SshHost = values["ssh-host"],
            SshControlPath = values["ssh-control"],
            SshdProcessId = sshdPid,
            SshdCgroup = values.GetValueOrDefault("sshd-cgroup"),
            BrokerGcLog = values.GetValueOrDefault("broker-gc-log"),
            WorkDirectory = values["work"],
            AgentClient = values["agent-client"],
            AgentClientAot = values.GetValueOrDefault("agent-client-aot"),
            AgentClientAotBaseline = values.GetValueOrDefault("agent-client-aot-baseline"),
            OutputPath = values["out"],
            Target = values.GetValueOrDefault("target", "local"),
            TokenGroups = terminalMode == "raw" && values.TryGetValue("token-groups", out var groups) ? groups.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
            TerminalMode = terminalMode,
            Quick = quick,
            SshMaxSessions = sshMax,
            Rounds = rounds,
            ExecRuns = execRuns,
            ExecWithSsh = execWithSsh.Value,
            Sessions = sessions,
            StartupRuns = startupRuns,
            StreamPace = streamPace,
            Selected = selected,
            ReplicaAddresses = replicaAddresses,
            ReplicaProcessIds = replicaPids,
            ReplicaData = values.GetValueOrDefault("replica-data"),
            ReplicasSkipped = values.GetValueOrDefault("replicas-skipped"),
            ReplicaSessionCount = replicaSessions,
            ClientWorkers = clientWorkers,
            ClientWorkerIndex = workerIndex,
            FloorServers = floorServers,
        }, null);
    }
}
