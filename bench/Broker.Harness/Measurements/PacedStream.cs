using System.Globalization;

namespace Broker.Harness.Measurements;

/// <summary>
/// A shell command that writes a file to the terminal at a fixed rate, in one process (a Python loop that writes a
/// slice every 10 ms and sleeps until the next tick), so that every system's streaming session loads the machine alike.
/// A tick that is late is not made up: the rate is a ceiling, and what each system reached is logged per block.
/// </summary>
internal static class PacedStream
{
    private const double TickSeconds = 0.01;

    private const string Script =
        "import sys,time\n" +
        "d=open(sys.argv[1],'rb').read();n=int(sys.argv[2]);t=float(sys.argv[3]);o=sys.stdout.buffer;i=0;due=time.monotonic()\n" +
        "while True:\n" +
        " i=0 if i+n>len(d) else i\n" +
        " o.write(d[i:i+n]);o.flush();i+=n;due+=t\n" +
        " w=due-time.monotonic()\n" +
        " if w>0: time.sleep(w)\n" +
        " else: due=time.monotonic()\n";

    /// <summary>The command line that streams <paramref name="file"/> at <paramref name="megabytesPerSecond"/>.</summary>
    public static string Command(string file, double megabytesPerSecond)
    {
        var script = Path.Combine(Path.GetDirectoryName(file)!, "paced-stream.py");
        if (!File.Exists(script))
        {
            File.WriteAllText(script, Script);
        }

        var perTick = (int)Math.Max(1, megabytesPerSecond * 1e6 * TickSeconds);
        return string.Create(CultureInfo.InvariantCulture, $"python3 {script} {file} {perTick} {TickSeconds}");
    }
}
