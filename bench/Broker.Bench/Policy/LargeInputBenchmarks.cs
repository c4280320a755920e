using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Broker.Policy;

namespace Broker.Bench.Policy;

/// <summary>
/// Decision cost is linear in the input: a 1 MB script decided whole, and 120,000 continuation lines typed in line
/// mode (each line used to re-parse all the text before it).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LargeInputBenchmarks
{
    private PolicyEngine _engine = null!;
    private IReadOnlyList<RoleDefinition> _roles = null!;
    private CommandInput _script = null!;
    private byte[] _continuation = [];
    private byte[] _loop = [];

    [GlobalSetup]
    public void Setup()
    {
        var document = PolicyLoader.LoadFile(PolicyDecisionBenchmarks.FindPolicy()).Document!;
        _engine = new PolicyEngine(document, ["/var/lib/broker/**"]);
        _roles = document.ResolveRoles(new CallerIdentity("broker-dev", "bench", new Dictionary<string, IReadOnlyList<string>>()));

        var script = new StringBuilder();
        var line = 0;
        while (script.Length < 1_000_000)
        {
            script.Append("grep -n 'pattern ").Append(line++).Append("' src/file.c | head -3 # a comment\n");
        }

        _script = CommandInput.Script(script.ToString()).In(CommandContext.At("/home/agent/project", "/home/agent"));

        var typed = new StringBuilder("echo '\r");
        for (var i = 0; i < 120_000; i++)
        {
            typed.Append("line\r");
        }

        _continuation = Encoding.UTF8.GetBytes(typed.Append("end'\r").ToString());
        var loop = new StringBuilder("for i in 1 2; do\r");
        for (var i = 0; i < 120_000; i++)
        {
            loop.Append("echo $i\r");
        }

        _loop = Encoding.UTF8.GetBytes(loop.Append("done\r").ToString());
    }

    [Benchmark]
    public Verdict DecideOneMegabyteScript() => _engine.Decide(_roles, _script).Verdict;

    [Benchmark]
    public int AssembleContinuationLinesInAQuote() => Assemble(_continuation);

    [Benchmark]
    public int AssembleContinuationLinesInALoop() => Assemble(_loop);

    private static int Assemble(byte[] keys)
    {
        var assembler = new CommandLineAssembler();
        var echo = new ArrayBufferWriter<byte>(keys.Length * 2);
        var commands = new List<string>(1);
        assembler.Feed(keys, echo, commands);
        return commands[0].Length;
    }
}
