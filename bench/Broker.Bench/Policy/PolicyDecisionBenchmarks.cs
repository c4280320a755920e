using BenchmarkDotNet.Attributes;
using Broker.Policy;

namespace Broker.Bench.Policy;

/// <summary>Decision latency of the dev policy on typical command lines (parse + unwrap + match).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PolicyDecisionBenchmarks
{
    /// <summary>Ordinary commands of the kinds agents write (the goal: each under 20 µs at the median).</summary>
    public static string[] Commands { get; } =
    [
        "ls -la",
        "grep -rn 'TODO' src | sort | uniq -c | head -20",
        "aws ec2 describe-instances --region us-east-1 --output json",
        "timeout 5 nice -n 3 rm -rf build 2>&1",
        "bash -c 'ls && cat /etc/hostname' > /dev/null",
        "cat ~/.ssh/id_rsa",
        "for f in src/*.c; do wc -l \"$f\"; done",
        "cd src && grep -n main *.c 2>/dev/null | head",
    ];

    private PolicyEngine _engine = null!;
    private IReadOnlyList<RoleDefinition> _roles = null!;
    private CommandInput _input = null!;

    [ParamsSource(nameof(Commands))]
    public string Command { get; set; } = "";

    /// <summary>The broker's own data directory, protected for every role as the broker does.</summary>
    internal static IReadOnlyList<string> AlwaysProtected { get; } = ["/var/lib/broker/**"];

    /// <summary>The caller the dev policy maps to its agent role.</summary>
    internal static CallerIdentity Caller { get; } = new("broker-dev", "bench", new Dictionary<string, IReadOnlyList<string>>());

    [GlobalSetup]
    public void Setup()
    {
        var document = PolicyLoader.LoadFile(FindPolicy()).Document ?? throw new InvalidOperationException("dev policy does not load");
        _engine = new PolicyEngine(document, AlwaysProtected);
        _roles = document.ResolveRoles(Caller);
        _input = Input(Command);
    }

    [Benchmark]
    public Verdict Decide() => _engine.Decide(_roles, _input).Verdict;

    /// <summary>A command run in a project directory with a known home, as a session's commands are.</summary>
    internal static CommandInput Input(string command) => CommandInput.Script(command).In(CommandContext.At("/home/agent/project", "/home/agent"));

    internal static string FindPolicy()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "docs", "examples", "dev-policy.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("docs/examples/dev-policy.yaml");
    }
}
