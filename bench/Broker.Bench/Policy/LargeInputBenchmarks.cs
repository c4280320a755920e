using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Broker.Policy;

namespace Broker.Bench.Policy;

/// <summary>
/// Decision cost is linear in the input: scripts of 10 KB, 100 KB and 1 MB decided whole (see
/// <see cref="ContinuationLineBenchmarks"/> for line mode).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LargeInputBenchmarks
{
    /// <summary>Script sizes in bytes (the cost per byte should not grow with size).</summary>
    public static int[] ScriptSizes { get; } = [10_000, 100_000, 1_000_000];

    /// <summary>Continuation line counts (the 120,000 lines is the largest).</summary>
    public static int[] LineCounts { get; } = [1_000, 10_000, 120_000];

    private PolicyEngine _engine = null!;
    private IReadOnlyList<RoleDefinition> _roles = null!;
    private CommandInput _script = null!;

    [ParamsSource(nameof(ScriptSizes))]
    public int ScriptBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var document = PolicyLoader.LoadFile(PolicyDecisionBenchmarks.FindPolicy()).Document!;
        _engine = new PolicyEngine(document, PolicyDecisionBenchmarks.AlwaysProtected);
        _roles = document.ResolveRoles(PolicyDecisionBenchmarks.Caller);
        _script = Script(ScriptBytes);
    }

    [Benchmark]
    public Verdict DecideScript() => _engine.Decide(_roles, _script).Verdict;

    /// <summary>A script of about <paramref name="bytes"/> bytes: one ordinary pipeline with a comment per line.</summary>
    internal static CommandInput Script(int bytes)
    {
        var script = new StringBuilder(bytes + 64);
        var line = 0;
        while (script.Length < bytes)
        {
            script.Append("grep -n 'pattern ").Append(line++).Append("' src/file.c | head -3 # a comment\n");
        }

        return PolicyDecisionBenchmarks.Input(script.ToString());
    }

    /// <summary>Keystrokes of <c>echo '</c>, then <paramref name="lines"/> lines inside the quote, then its end.</summary>
    internal static byte[] QuoteLines(int lines)
    {
        var typed = new StringBuilder("echo '\r");
        for (var i = 0; i < lines; i++)
        {
            typed.Append("line\r");
        }

        return Encoding.UTF8.GetBytes(typed.Append("end'\r").ToString());
    }

    /// <summary>Keystrokes of a <c>for</c> loop whose body is <paramref name="lines"/> lines.</summary>
    internal static byte[] LoopLines(int lines)
    {
        var loop = new StringBuilder("for i in 1 2; do\r");
        for (var i = 0; i < lines; i++)
        {
            loop.Append("echo $i\r");
        }

        return Encoding.UTF8.GetBytes(loop.Append("done\r").ToString());
    }

    internal static int Assemble(byte[] keys)
    {
        var assembler = new CommandLineAssembler();
        var echo = new ArrayBufferWriter<byte>(keys.Length * 2);
        var commands = new List<string>(1);
        assembler.Feed(keys, echo, commands);
        return commands[0].Length;
    }
}
