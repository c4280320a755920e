using System.Buffers;
using System.Text;
using Broker.Masking;

namespace Broker.Bench.Masking;

/// <summary>
/// What the screen model costs a bulk <c>cat</c> on a terminal: the same output masked with the screen view (the
/// default for terminals) and without it (text only), in thread CPU time, runs interleaved so load drifts hit both
/// alike. The output is what a PTY hands the broker: CR LF line ends, <c>ls --color</c> and compiler colours, a
/// progress line redrawn after carriage returns. Run with
/// <c>dotnet run -c Release --project bench/Broker.Bench -- masking-screen</c>.
/// </summary>
internal static class MaskingScreenCost
{
    private const int Size = 4 * 1024 * 1024;
    private const int Repetitions = 40;

    public static void Run()
    {
        var secrets = new SecretRegistry();
        secrets.Register("aws-secret-access-key", MaskingCorpora.RegisteredSecret);
        var output = new ArrayBufferWriter<byte>(256 * 1024);
        MaskerOptions[] options = [MaskerOptions.TextOnly, MaskerOptions.Default with { Columns = 120, Rows = 40 }];
        Console.WriteLine("| output | chunk | text only (best CPU time per 4 MiB) | with the screen model | cost of the screen model |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (corpus, chunk) in new[] { ("coloured", 4096), ("coloured", 65536), ("with progress lines", 4096), ("with progress lines", 65536) })
        {
            var input = TerminalCat(Size, progress: corpus != "coloured");
            var best = new[] { double.MaxValue, double.MaxValue };
            for (var rep = 0; rep < Repetitions + MaskingCpuTime.WarmUpRuns; rep++)
            {
                for (var o = 0; o < options.Length; o++)
                {
                    var milliseconds = MaskingCpuTime.MaskOnce(input, chunk, secrets, options[o], output);
                    if (rep >= MaskingCpuTime.WarmUpRuns)
                    {
                        best[o] = Math.Min(best[o], milliseconds);
                    }
                }
            }

            Console.WriteLine($"| {corpus} | {chunk} | {best[0]:F2} ms ({Size / best[0] / 1000:F0} MB/s) | {best[1]:F2} ms ({Size / best[1] / 1000:F0} MB/s) | {(best[1] / best[0] - 1) * 100:+0.0;-0.0} % |");
        }
    }

    /// <summary>Terminal output of a bulk <c>cat</c>: coloured listings and compiler lines, CR LF line ends; with <paramref name="progress"/>, a progress bar redrawn on every fifth line.</summary>
    public static byte[] TerminalCat(int size, bool progress)
    {
        var random = new Random(2);
        var text = new StringBuilder(size + 256);
        string[] names = ["src", "build.sh", "README.md", "node_modules", "app.py", "id_rsa.pub", "Makefile", "tests"];
        while (text.Length < size)
        {
            switch (random.Next(5))
            {
                case 0:
                    var name = names[random.Next(names.Length)];
                    var colour = name.Contains('.', StringComparison.Ordinal) ? "00" : "01;34";
                    text.Append($"drwxr-xr-x  2 agent agent {random.Next(100, 99999),6} Nov {random.Next(1, 29),2} 08:{random.Next(0, 60):00} \u001b[{colour}m{name}\u001b[0m\r\n");
                    break;
                case 1:
                    text.Append($"\u001b[1m/src/app/Program.cs({random.Next(1, 999)},{random.Next(1, 80)})\u001b[0m: \u001b[33mwarning\u001b[0m CS0168: The variable 'ex' is declared but never used\r\n");
                    break;
                case 2:
                    text.Append($"\u001b[32m[{random.Next(0, 24):00}:{random.Next(0, 60):00}:{random.Next(0, 60):00}]\u001b[0m INFO  request handled in {random.Next(1, 900)} ms (status 200, {random.Next(100, 99999)} bytes)\r\n");
                    break;
                case 3 when progress:
                    // A progress line: redrawn in place after a carriage return, then finished with a line end.
                    for (var step = 0; step <= 100; step += 25)
                    {
                        text.Append($"\rDownloading {names[random.Next(names.Length)]}: {step,3}% [{new string('#', step / 5),-20}]\u001b[K");
                    }

                    text.Append("\r\n");
                    break;
                default:
                    text.Append($"    at Broker.Sessions.Session.RunAsync(CancellationToken token) in /src/Session.cs:line {random.Next(1, 400)}\r\n");
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }
}
