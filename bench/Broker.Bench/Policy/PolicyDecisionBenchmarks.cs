using BenchmarkDotNet.Attributes;
using Broker.Policy;

namespace Broker.Bench.Policy;

/// <summary>Decision latency of the dev policy on typical command lines (parse + unwrap + match).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PolicyDecisionBenchmarks
{
    private PolicyEngine _engine = null!;
    private IReadOnlyList<RoleDefinition> _roles = null!;
    private CommandInput _input = null!;

    [Params(
        "ls -la",
        "grep -rn 'TODO' src | sort | uniq -c | head -20",
        "aws ec2 describe-instances --region us-east-1 --output json",
        "timeout 5 nice -n 3 rm -rf build 2>&1",
        "bash -c 'ls && cat /etc/hostname' > /dev/null",
        "cat ~/.ssh/id_rsa",
        "for f in src/*.c; do wc -l \"$f\"; done",
        "cd src && grep -n main *.c 2>/dev/null | head")]
    public string Command { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = FindPolicy();
        var document = PolicyLoader.LoadFile(path).Document ?? throw new InvalidOperationException("dev policy does not load");
        _engine = new PolicyEngine(document, ["/var/lib/broker/**"]);
        _roles = document.ResolveRoles(new CallerIdentity("broker-dev", "bench", new Dictionary<string, IReadOnlyList<string>>()));
        _input = CommandInput.Script(Command).In(CommandContext.At("/home/agent/project", "/home/agent"));
    }

    [Benchmark]
    public Verdict Decide() => _engine.Decide(_roles, _input).Verdict;

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
